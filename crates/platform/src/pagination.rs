//! Cursor pagination (PRODUCT.md X1). A cursor is the opaque, URL-safe encoding of the last key
//! of a page; lists are ordered by that key (time-ordered UUIDv7 ids), so pages stay stable while
//! rows are added.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::error::ApiError;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// `?cursor=…&limit=…`
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl PageParams {
    pub fn limit(&self) -> Result<u32, ApiError> {
        match self.limit {
            None => Ok(DEFAULT_LIMIT),
            Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(ApiError::invalid_field("limit", format!("must be between 1 and {MAX_LIMIT}"))),
        }
    }

    /// The key after which this page starts.
    pub fn after(&self) -> Result<Option<String>, ApiError> {
        self.cursor
            .as_deref()
            .map(|c| {
                URL_SAFE_NO_PAD
                    .decode(c)
                    .ok()
                    .and_then(|bytes| String::from_utf8(bytes).ok())
                    .ok_or_else(|| ApiError::invalid_field("cursor", "not a cursor this service issued"))
            })
            .transpose()
    }

    /// The cursor read as the key type it was made from (an id); a cursor that is not one is a 422.
    pub fn after_as<T: std::str::FromStr>(&self) -> Result<Option<T>, ApiError> {
        self.after()?
            .map(|key| key.parse().map_err(|_| ApiError::invalid_field("cursor", "not a cursor this service issued")))
            .transpose()
    }
}

/// The cursor of a page ending at `key`.
pub fn cursor_after(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(key)
}

/// Trims a `limit + 1` fetch to one page and names the cursor of the next page, if there is one.
pub fn page<T>(mut rows: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() <= limit {
        return (rows, None);
    }
    rows.truncate(limit);
    let next = rows.last().map(|last| cursor_after(&key(last)));
    (rows, next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x1_a_cursor_round_trips() {
        let (items, next) = page(vec!["a", "b", "c"], 2, |s| (*s).to_owned());
        assert_eq!(items, vec!["a", "b"]);
        let params = PageParams { cursor: next, limit: Some(2) };
        assert_eq!(params.after().unwrap().as_deref(), Some("b"));
        assert_eq!(page(vec!["a"], 2, |s| (*s).to_owned()).1, None);
    }

    #[test]
    fn x1_bad_cursors_and_limits_are_client_errors() {
        assert!(PageParams { cursor: Some("%%%".into()), limit: None }.after().is_err());
        assert!(PageParams { cursor: None, limit: Some(0) }.limit().is_err());
        assert!(PageParams { cursor: None, limit: Some(201) }.limit().is_err());
    }
}
