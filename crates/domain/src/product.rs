//! The six product kinds a group can be formed around (PRODUCT.md C1; 000:15-18, 001:109-113).

use std::collections::{BTreeMap, HashSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{Count, Name, ProductId, Violations};

/// The kind of a product, without its details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductKind {
    Specific,
    Service,
    Specification,
    AnyOf,
    Option,
    Bundle,
}

impl ProductKind {
    pub const ALL: [ProductKind; 6] =
        [Self::Specific, Self::Service, Self::Specification, Self::AnyOf, Self::Option, Self::Bundle];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Specific => "specific",
            Self::Service => "service",
            Self::Specification => "specification",
            Self::AnyOf => "any_of",
            Self::Option => "option",
            Self::Bundle => "bundle",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One attribute a product must meet to satisfy a specification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operator", rename_all = "snake_case", try_from = "RawConstraint")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttributeConstraint {
    Equals {
        attribute: Name,
        value: Name,
    },
    AtLeast {
        attribute: Name,
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
    },
    AtMost {
        attribute: Name,
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
    },
    OneOf {
        attribute: Name,
        values: Vec<Name>,
    },
}

impl AttributeConstraint {
    /// Whether a product with these properties meets the constraint: the attribute is there and
    /// equals the value, is one of the values, or is a number at least or at most the value.
    pub fn is_met_by(&self, properties: &BTreeMap<Name, Name>) -> bool {
        let Some(actual) = properties.get(self.attribute()) else { return false };
        let number = || actual.parse::<Decimal>().ok();
        match self {
            Self::Equals { value, .. } => actual == value,
            Self::OneOf { values, .. } => values.contains(actual),
            Self::AtLeast { value, .. } => number().is_some_and(|n| n >= *value),
            Self::AtMost { value, .. } => number().is_some_and(|n| n <= *value),
        }
    }

    pub fn attribute(&self) -> &Name {
        match self {
            Self::Equals { attribute, .. }
            | Self::AtLeast { attribute, .. }
            | Self::AtMost { attribute, .. }
            | Self::OneOf { attribute, .. } => attribute,
        }
    }
}

/// A product of a bundle with how many of it the package holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BundleComponent {
    pub product_id: ProductId,
    pub quantity: Count,
}

/// What a product is, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "RawDetails")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductDetails {
    /// One manufacturer's model, identified by model name or SKU.
    Specific {
        manufacturer: Name,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<Name>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sku: Option<Name>,
        /// What the product is, attribute by attribute (`"ram_gb": "16"`): a specification's
        /// constraints are checked against these.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        properties: BTreeMap<Name, Name>,
    },
    /// Work done rather than goods shipped (G11: confirmed, not shipped).
    Service,
    /// Any product meeting every attribute constraint.
    Specification { attributes: Vec<AttributeConstraint> },
    /// Any one of the listed products.
    AnyOf { alternatives: Vec<ProductId> },
    /// An option of a base product (an extended warranty, a colour).
    Option { base_product_id: ProductId },
    /// Several products with quantities sold as one package.
    Bundle { components: Vec<BundleComponent> },
}

impl ProductDetails {
    /// Whether this product meets every constraint of a specification (C1): only a specific
    /// product, by its properties.
    pub fn meets(&self, specification: &[AttributeConstraint]) -> bool {
        match self {
            Self::Specific { properties, .. } => specification.iter().all(|c| c.is_met_by(properties)),
            _ => false,
        }
    }

    pub fn kind(&self) -> ProductKind {
        match self {
            Self::Specific { .. } => ProductKind::Specific,
            Self::Service => ProductKind::Service,
            Self::Specification { .. } => ProductKind::Specification,
            Self::AnyOf { .. } => ProductKind::AnyOf,
            Self::Option { .. } => ProductKind::Option,
            Self::Bundle { .. } => ProductKind::Bundle,
        }
    }

    /// Other products this one names; each must exist (checked by the catalog, which can look).
    pub fn referenced_products(&self) -> Vec<ProductId> {
        match self {
            Self::AnyOf { alternatives } => alternatives.clone(),
            Self::Option { base_product_id } => vec![*base_product_id],
            Self::Bundle { components } => components.iter().map(|c| c.product_id).collect(),
            Self::Specific { .. } | Self::Service | Self::Specification { .. } => Vec::new(),
        }
    }

    /// The rules that need no look-up and no type states: a model or SKU named, lists long
    /// enough and not too long, no repeats.
    pub fn validate(&self) -> Violations {
        let mut v = Violations::new();
        match self {
            Self::Specific { model, sku, properties, .. } => {
                v.check(model.is_some() || sku.is_some(), "model", "a model or a SKU is required");
                v.check(properties.len() <= MAX_LIST, "properties", format!("at most {MAX_LIST}"));
            }
            Self::Service | Self::Option { .. } => {}
            Self::Specification { attributes } => {
                v.list_len("attributes", attributes.len(), 1, MAX_LIST);
                for (i, c) in attributes.iter().enumerate() {
                    if let AttributeConstraint::OneOf { values, .. } = c {
                        v.list_len(format!("attributes[{i}].values"), values.len(), 1, MAX_LIST);
                    }
                }
            }
            Self::AnyOf { alternatives } => {
                v.list_len("alternatives", alternatives.len(), 2, MAX_LIST);
                check_distinct(&mut v, "alternatives", alternatives.iter());
            }
            Self::Bundle { components } => {
                v.list_len("components", components.len(), 1, MAX_LIST);
                check_distinct(&mut v, "components", components.iter().map(|c| &c.product_id));
            }
        }
        v
    }
}

/// The most entries in a product's lists (attributes, alternatives, components, values).
pub const MAX_LIST: usize = 50;

// Read through flat structs rather than serde's internally tagged enums: those buffer the body
// and lose the path of a failing field, so `details.components[0].quantity` would be reported as
// just `details`.

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Operator {
    Equals,
    AtLeast,
    AtMost,
    OneOf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConstraint {
    operator: Operator,
    attribute: Name,
    value: Option<Name>,
    values: Option<Vec<Name>>,
}

impl TryFrom<RawConstraint> for AttributeConstraint {
    type Error = String;

    fn try_from(raw: RawConstraint) -> Result<Self, String> {
        let RawConstraint { operator, attribute, value, values } = raw;
        let number = |value: Option<Name>| -> Result<Decimal, String> {
            let value = value.ok_or("`value` is required")?;
            value.parse().map_err(|_| format!("`value` must be a decimal string, not `{value}`"))
        };
        Ok(match (operator, values) {
            (Operator::OneOf, Some(values)) if value.is_none() => Self::OneOf { attribute, values },
            (Operator::OneOf, _) => return Err("`one_of` takes `values` and no `value`".to_owned()),
            (_, Some(_)) => return Err("only `one_of` takes `values`".to_owned()),
            (Operator::Equals, None) => Self::Equals { attribute, value: value.ok_or("`value` is required")? },
            (Operator::AtLeast, None) => Self::AtLeast { attribute, value: number(value)? },
            (Operator::AtMost, None) => Self::AtMost { attribute, value: number(value)? },
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetails {
    kind: ProductKind,
    manufacturer: Option<Name>,
    model: Option<Name>,
    sku: Option<Name>,
    properties: Option<BTreeMap<Name, Name>>,
    attributes: Option<Vec<AttributeConstraint>>,
    alternatives: Option<Vec<ProductId>>,
    base_product_id: Option<ProductId>,
    components: Option<Vec<BundleComponent>>,
}

impl TryFrom<RawDetails> for ProductDetails {
    type Error = String;

    fn try_from(raw: RawDetails) -> Result<Self, String> {
        let kind = raw.kind;
        let present = [
            ("manufacturer", raw.manufacturer.is_some()),
            ("model", raw.model.is_some()),
            ("sku", raw.sku.is_some()),
            ("properties", raw.properties.is_some()),
            ("attributes", raw.attributes.is_some()),
            ("alternatives", raw.alternatives.is_some()),
            ("base_product_id", raw.base_product_id.is_some()),
            ("components", raw.components.is_some()),
        ];
        let allowed: &[&str] = match kind {
            ProductKind::Specific => &["manufacturer", "model", "sku", "properties"],
            ProductKind::Service => &[],
            ProductKind::Specification => &["attributes"],
            ProductKind::AnyOf => &["alternatives"],
            ProductKind::Option => &["base_product_id"],
            ProductKind::Bundle => &["components"],
        };
        if let Some((field, _)) = present.iter().find(|(field, there)| *there && !allowed.contains(field)) {
            return Err(format!("`{field}` does not belong to a `{}` product", kind.as_str()));
        }
        let required = |field: &str| format!("`{field}` is required for a `{}` product", kind.as_str());
        Ok(match kind {
            ProductKind::Specific => Self::Specific {
                manufacturer: raw.manufacturer.ok_or_else(|| required("manufacturer"))?,
                model: raw.model,
                sku: raw.sku,
                properties: raw.properties.unwrap_or_default(),
            },
            ProductKind::Service => Self::Service,
            ProductKind::Specification => {
                Self::Specification { attributes: raw.attributes.ok_or_else(|| required("attributes"))? }
            }
            ProductKind::AnyOf => {
                Self::AnyOf { alternatives: raw.alternatives.ok_or_else(|| required("alternatives"))? }
            }
            ProductKind::Option => {
                Self::Option { base_product_id: raw.base_product_id.ok_or_else(|| required("base_product_id"))? }
            }
            ProductKind::Bundle => Self::Bundle { components: raw.components.ok_or_else(|| required("components"))? },
        })
    }
}

fn check_distinct<'a>(v: &mut Violations, field: &str, ids: impl Iterator<Item = &'a ProductId>) {
    let mut seen = HashSet::new();
    for (i, id) in ids.enumerate() {
        v.check(seen.insert(*id), format!("{field}[{i}]"), "listed twice");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c1_every_kind_round_trips_through_json() {
        let id = ProductId::generate();
        let samples = [
            serde_json::json!({"kind": "specific", "manufacturer": "Acme", "model": "X1"}),
            serde_json::json!({"kind": "service"}),
            serde_json::json!({"kind": "specification", "attributes": [{"operator": "at_least", "attribute": "ram_gb", "value": "16"}]}),
            serde_json::json!({"kind": "any_of", "alternatives": [id, ProductId::generate()]}),
            serde_json::json!({"kind": "option", "base_product_id": id}),
            serde_json::json!({"kind": "bundle", "components": [{"product_id": id, "quantity": 2}]}),
        ];
        for (json, kind) in samples.iter().zip(ProductKind::ALL) {
            let details: ProductDetails = serde_json::from_value(json.clone()).unwrap();
            assert_eq!(details.kind(), kind);
            assert!(details.validate().is_empty(), "{kind:?}: {}", details.validate());
            assert_eq!(&serde_json::to_value(&details).unwrap(), json);
            assert_eq!(ProductKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn c1_each_kind_rejects_its_incomplete_form() {
        let id = ProductId::generate();
        let bad = [
            ProductDetails::Specific {
                manufacturer: Name::new("Acme").unwrap(),
                model: None,
                sku: None,
                properties: BTreeMap::new(),
            },
            ProductDetails::Specification { attributes: vec![] },
            ProductDetails::AnyOf { alternatives: vec![id] },
            ProductDetails::AnyOf { alternatives: vec![id, id] },
            ProductDetails::Bundle {
                components: vec![
                    BundleComponent { product_id: id, quantity: Count::new(1).unwrap() },
                    BundleComponent { product_id: id, quantity: Count::new(2).unwrap() },
                ],
            },
            ProductDetails::Bundle { components: vec![] },
        ];
        for details in bad {
            assert!(!details.validate().is_empty(), "{details:?} was accepted");
        }
    }

    /// Issue 7, finding 8: 200 KB manufacturers, unknown fields and NUL characters were accepted.
    #[test]
    fn c1_details_refuse_long_or_unprintable_text_and_unknown_fields_while_reading() {
        let long = "m".repeat(201);
        for bad in [
            serde_json::json!({"kind": "specific", "manufacturer": long, "model": "X1"}),
            serde_json::json!({"kind": "specific", "manufacturer": "Acme", "sku": "A\u{0}1"}),
            serde_json::json!({"kind": "specific", "manufacturer": "Acme", "model": "X1", "colour": "red"}),
            serde_json::json!({"kind": "specification", "attributes": [{"operator": "equals", "attribute": "ram", "value": "16", "x": 1}]}),
            serde_json::json!({"kind": "bundle", "components": [{"product_id": ProductId::generate(), "quantity": 3_000_000_000_u64}]}),
        ] {
            assert!(serde_json::from_value::<ProductDetails>(bad.clone()).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn c1_references_are_listed_for_existence_checks() {
        let (a, b) = (ProductId::generate(), ProductId::generate());
        let bundle = ProductDetails::Bundle {
            components: vec![
                BundleComponent { product_id: a, quantity: Count::new(1).unwrap() },
                BundleComponent { product_id: b, quantity: Count::new(3).unwrap() },
            ],
        };
        assert_eq!(bundle.referenced_products(), vec![a, b]);
        assert!(ProductDetails::Service.referenced_products().is_empty());
    }

    // C1, B2: which specific products meet a specification.
    #[test]
    fn c1_a_specific_product_meets_a_specification_by_its_properties() {
        let laptop: ProductDetails = serde_json::from_value(serde_json::json!({
            "kind": "specific", "manufacturer": "Acme", "model": "X1",
            "properties": { "ram_gb": "16", "colour": "red" }
        }))
        .unwrap();
        let spec = |json: serde_json::Value| -> Vec<AttributeConstraint> { serde_json::from_value(json).unwrap() };
        let met = spec(serde_json::json!([
            { "operator": "at_least", "attribute": "ram_gb", "value": "8" },
            { "operator": "at_most", "attribute": "ram_gb", "value": "16" },
            { "operator": "equals", "attribute": "colour", "value": "red" },
            { "operator": "one_of", "attribute": "colour", "values": ["red", "blue"] }
        ]));
        assert!(laptop.meets(&met));
        for unmet in [
            serde_json::json!([{ "operator": "at_least", "attribute": "ram_gb", "value": "32" }]),
            serde_json::json!([{ "operator": "at_most", "attribute": "ram_gb", "value": "8" }]),
            serde_json::json!([{ "operator": "equals", "attribute": "colour", "value": "Red" }]),
            serde_json::json!([{ "operator": "one_of", "attribute": "colour", "values": ["blue"] }]),
            serde_json::json!([{ "operator": "at_least", "attribute": "colour", "value": "1" }]),
            serde_json::json!([{ "operator": "equals", "attribute": "weight_kg", "value": "2" }]),
        ] {
            assert!(!laptop.meets(&spec(unmet.clone())), "{unmet}");
        }
        assert!(!ProductDetails::Service.meets(&[]), "only specific products meet specifications");
    }
}
