//! Typed TEXT columns: a state, kind or id is stored by its wire name (the string serde gives it),
//! read back into its type, and an unknown stored name is an error, never a default.

use std::io::Write;

use diesel::{
    deserialize::{self, FromSql, FromSqlRow},
    expression::AsExpression,
    pg::Pg,
    serialize::{self, IsNull, Output, ToSql},
    sql_types::Text,
    sqlite::Sqlite,
};
use serde::{Serialize, de::DeserializeOwned};

use super::MultiBackend;

type BoxedError = Box<dyn std::error::Error + Send + Sync>;

/// A value kept in a TEXT column under its serde name: `Stored<PaymentState>`, `Stored<GroupId>`.
/// Works on both backends through the one connection type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Text)]
pub struct Stored<T>(pub T);

impl<T: Serialize> Stored<T> {
    /// The name the value is stored under: its serde string.
    pub fn name(&self) -> Result<String, BoxedError> {
        match serde_json::to_value(&self.0)? {
            serde_json::Value::String(name) => Ok(name),
            other => Err(format!("{other} does not serialize to a string").into()),
        }
    }
}

impl<T: DeserializeOwned> Stored<T> {
    /// Reads a stored name; an unknown one is an error.
    pub fn parse(name: &str) -> Result<Self, BoxedError> {
        serde_json::from_value(serde_json::Value::String(name.to_owned()))
            .map(Stored)
            .map_err(|e| format!("unreadable stored value {name:?}: {e}").into())
    }
}

impl<T> From<T> for Stored<T> {
    fn from(value: T) -> Self {
        Stored(value)
    }
}

impl<T: Serialize + std::fmt::Debug> ToSql<Text, Sqlite> for Stored<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.name()?);
        Ok(IsNull::No)
    }
}

impl<T: Serialize + std::fmt::Debug> ToSql<Text, Pg> for Stored<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.name()?.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl<T> ToSql<Text, MultiBackend> for Stored<T>
where
    T: Serialize + std::fmt::Debug + Send + Sync + 'static,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Text, self));
        Ok(IsNull::No)
    }
}

impl<T: DeserializeOwned> FromSql<Text, Sqlite> for Stored<T> {
    fn from_sql(value: <Sqlite as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let name = <String as FromSql<Text, Sqlite>>::from_sql(value)?;
        Self::parse(&name)
    }
}

impl<T: DeserializeOwned> FromSql<Text, Pg> for Stored<T> {
    fn from_sql(value: <Pg as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let name = <String as FromSql<Text, Pg>>::from_sql(value)?;
        Self::parse(&name)
    }
}

impl<T: DeserializeOwned> FromSql<Text, MultiBackend> for Stored<T> {
    fn from_sql(value: <MultiBackend as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Self, Text>()
    }
}

impl<T: std::fmt::Display> std::fmt::Display for Stored<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use domain::{GroupId, payment::PaymentState};

    use super::*;

    #[test]
    fn x7_stored_names_round_trip_and_unknown_ones_are_refused() {
        assert_eq!(Stored(PaymentState::PartiallyRefunded).name().ok().as_deref(), Some("partially_refunded"));
        assert_eq!(
            Stored::<PaymentState>::parse("partially_refunded").ok(),
            Some(Stored(PaymentState::PartiallyRefunded))
        );
        assert!(Stored::<PaymentState>::parse("refunded_twice").is_err());
        let group = GroupId::generate();
        assert_eq!(Stored::<GroupId>::parse(&group.to_string()).ok(), Some(Stored(group)));
        assert!(Stored::<GroupId>::parse("not-a-uuid").is_err());
        assert!(Stored::<GroupId>::parse("00000000-0000-0000-0000-000000000000").is_err(), "the nil id names nothing");
    }
}
