//! Bounded input types: each one refuses a value outside its bounds while deserializing and
//! declares the same bounds to OpenAPI, so the handler, the document and schemathesis agree
//! (PRODUCT.md X2). A count that passes fits every store's 32-bit integer columns; a text that
//! passes is one line of printable characters.

use std::{fmt, ops::Deref};

use serde::{Deserialize, Serialize};

/// A count of units, members or days: 1 to [`Count::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Count(u32);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be {} to {}", Count::MIN, Count::MAX)]
pub struct CountOutOfRange;

impl Count {
    pub const MIN: u32 = 1;
    pub const MAX: u32 = 1_000_000;
    pub const ONE: Count = Count(1);

    pub fn new(n: u32) -> Result<Self, CountOutOfRange> {
        if (Self::MIN..=Self::MAX).contains(&n) { Ok(Self(n)) } else { Err(CountOutOfRange) }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Count {
    type Error = CountOutOfRange;
    fn try_from(n: i64) -> Result<Self, CountOutOfRange> {
        u32::try_from(n).map_err(|_| CountOutOfRange).and_then(Self::new)
    }
}

impl From<Count> for i32 {
    fn from(c: Count) -> i32 {
        // MAX is far below i32::MAX.
        i32::try_from(c.0).unwrap_or(i32::MAX)
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let n = u64::deserialize(d)?;
        u32::try_from(n).map_err(|_| CountOutOfRange).and_then(Self::new).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Count {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
            .minimum(Some(Self::MIN))
            .maximum(Some(Self::MAX))
            .description(Some("A count of units, members or days"))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Count {}

/// Why a text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("must not be blank")]
    Blank,
    #[error("at most {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters")]
    ControlCharacters,
}

fn check_text(value: &str, max: usize) -> Result<(), TextError> {
    if value.trim().is_empty() {
        Err(TextError::Blank)
    } else if value.chars().count() > max {
        Err(TextError::TooLong(max))
    } else if value.chars().any(char::is_control) {
        Err(TextError::ControlCharacters)
    } else {
        Ok(())
    }
}

macro_rules! bounded_text {
    ($($(#[$doc:meta])* $name:ident => $max:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const MAX: usize = $max;

            pub fn new(value: impl Into<String>) -> Result<Self, TextError> {
                let value = value.into();
                check_text(&value, Self::MAX)?;
                Ok(Self(value))
            }

            /// A value read back from our own store, checked when it was written.
            pub fn from_stored(value: String) -> Self {
                Self(value)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(text: $name) -> String {
                text.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                text_schema(Self::MAX)
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    )*};
}

bounded_text! {
    /// A name, an address line, a model or a SKU: 1 to 200 characters on one line.
    Name => 200;
    /// An opaque reference another system gave (a member, a purchase): 1 to 128 characters.
    Reference => 128;
    /// A short label (a purpose, a carrier, a tracking number, a phone number): 1 to 64 characters.
    Label => 64;
}

#[cfg(feature = "openapi")]
fn text_schema(max: usize) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        // At least one visible character, and no control characters.
        .pattern(Some(r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x2_counts_outside_the_bounds_are_refused_while_reading() {
        for ok in ["1", "1000000"] {
            assert!(serde_json::from_str::<Count>(ok).is_ok(), "{ok}");
        }
        for bad in ["0", "1000001", "3000000000", "18446744073709551616", "-1", "1.5"] {
            assert!(serde_json::from_str::<Count>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn x2_texts_are_one_bounded_line_of_printable_characters() {
        assert_eq!(Label::new("DHL Express").unwrap().as_str(), "DHL Express");
        assert_eq!(Label::new("x".repeat(64)).map(|l| l.len()), Ok(64));
        assert_eq!(Label::new("x".repeat(65)), Err(TextError::TooLong(64)));
        assert_eq!(Name::new(" \t "), Err(TextError::Blank));
        assert_eq!(Name::new("a\u{0}b"), Err(TextError::ControlCharacters));
        assert_eq!(Name::new("line\nbreak"), Err(TextError::ControlCharacters));
        assert_eq!(Name::new("Heidestraße 17").map(String::from), Ok("Heidestraße 17".to_owned()));
        let err = serde_json::from_str::<Reference>(&format!("\"{}\"", "r".repeat(129))).unwrap_err();
        assert!(err.to_string().contains("at most 128 characters"), "{err}");
    }
}
