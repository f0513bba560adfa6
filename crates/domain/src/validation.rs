//! Per-field validation results, collected rather than failing at the first problem so a client
//! can fix every field in one round trip (PRODUCT.md X2).

use serde::Serialize;

/// One rejected field: a JSON-pointer-like path and a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every problem found in one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Violations(Vec<FieldError>);

impl Violations {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError { field: field.into(), message: message.into() });
    }

    /// Adds `message` for `field` when `ok` is false.
    pub fn check(&mut self, ok: bool, field: impl Into<String>, message: impl Into<String>) {
        if !ok {
            self.add(field, message);
        }
    }

    /// Checks a list's length.
    pub fn list_len(&mut self, field: impl Into<String>, len: usize, min: usize, max: usize) {
        self.check((min..=max).contains(&len), field, format!("{min} to {max} entries"));
    }

    /// Takes over another set's errors, prefixing their fields with `prefix`.
    pub fn merge(&mut self, prefix: &str, other: Violations) {
        for e in other.0 {
            let field = if e.field.is_empty() { prefix.to_owned() } else { format!("{prefix}.{}", e.field) };
            self.add(field, e.message);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    pub fn into_result(self) -> Result<(), Violations> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// Whether `value` holds a control character other than a line break or tab (free text such as a
/// description may span lines).
pub fn has_control_chars(value: &str) -> bool {
    value.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}

impl std::fmt::Display for Violations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for Violations {}
