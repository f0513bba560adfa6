//! An email address as purchasers give it (PRODUCT.md G2, G9): where their purchaser ID and the
//! group's outcome are mailed. Checked for shape only; whether it receives mail is the mail
//! server's to say.

use std::fmt;

use serde::{Deserialize, Serialize};

/// `local@domain`, 3 to 254 characters, no spaces or control characters, a host name with a dot
/// as the domain (no address literal).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an email address such as ada@example.com")]
pub struct NotAnEmail;

impl Email {
    pub const MAX: usize = 254;

    pub fn new(value: impl Into<String>) -> Result<Self, NotAnEmail> {
        let value = value.into();
        let Some((local, domain)) = value.split_once('@') else { return Err(NotAnEmail) };
        let shaped = value.len() <= Self::MAX
            && !local.is_empty()
            && local.len() <= 64
            && !domain.contains('@')
            && domain.split('.').count() >= 2
            && domain.split('.').all(is_host_label)
            && !domain.rsplit('.').next().is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
            && !value.chars().any(|c| c.is_whitespace() || c.is_control());
        if shaped { Ok(Self(value)) } else { Err(NotAnEmail) }
    }

    /// A value read back from our own store, checked when it was written.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A label of a host name: letters (any script), digits and inner hyphens. Address literals
/// (`[127.0.0.1]`) and other punctuation are refused: mail goes to names.
fn is_host_label(label: &str) -> bool {
    !label.is_empty()
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Email {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Email {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Email)))
            .min_length(Some(3))
            .max_length(Some(Self::MAX))
            .pattern(Some(r"^[^@\s]{1,64}@[^@\s.\[\]:]+(\.[^@\s.\[\]:]+)+$"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Email {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g2_addresses_are_checked_for_shape() {
        for ok in ["ada@example.com", "a.b+c@mail.example.org"] {
            assert!(Email::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@example..com",
        ] {
            assert_eq!(Email::new(bad), Err(NotAnEmail), "{bad}");
        }
    }

    // Issue 22, finding 14: an address literal was accepted as an email.
    #[test]
    fn abuse_14_address_literals_and_odd_hosts_are_not_emails() {
        for bad in ["a@[127.0.0.1]", "a@127.0.0.1", "a@-x.example", "a@x_y.example", "a@x.example:25"] {
            assert_eq!(Email::new(bad), Err(NotAnEmail), "{bad}");
        }
        assert!(Email::new("ada@bücher.example").is_ok(), "an international name");
    }
}
