//! The six product kinds a group can be formed around (PRODUCT.md C1; 000:15-18, 001:109-113).

use std::collections::HashSet;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::{ProductId, Violations};

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
#[serde(tag = "operator", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AttributeConstraint {
    Equals {
        attribute: String,
        value: String,
    },
    AtLeast {
        attribute: String,
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
    },
    AtMost {
        attribute: String,
        #[serde(with = "rust_decimal::serde::str")]
        value: Decimal,
    },
    OneOf {
        attribute: String,
        values: Vec<String>,
    },
}

impl AttributeConstraint {
    pub fn attribute(&self) -> &str {
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
pub struct BundleComponent {
    pub product_id: ProductId,
    pub quantity: u32,
}

/// What a product is, by kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ProductDetails {
    /// One manufacturer's model, identified by model name or SKU.
    Specific {
        manufacturer: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        model: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sku: Option<String>,
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

    /// The rules that need no look-up: required fields present, lists long enough, no repeats.
    pub fn validate(&self) -> Violations {
        let mut v = Violations::new();
        match self {
            Self::Specific { manufacturer, model, sku } => {
                v.check(!manufacturer.trim().is_empty(), "manufacturer", "must not be empty");
                let named = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
                v.check(named(model) || named(sku), "model", "a model or a SKU is required");
            }
            Self::Service => {}
            Self::Specification { attributes } => {
                v.check(!attributes.is_empty(), "attributes", "at least one attribute constraint is required");
                for (i, c) in attributes.iter().enumerate() {
                    v.check(
                        !c.attribute().trim().is_empty(),
                        format!("attributes[{i}].attribute"),
                        "must not be empty",
                    );
                    if let AttributeConstraint::OneOf { values, .. } = c {
                        v.check(
                            !values.is_empty(),
                            format!("attributes[{i}].values"),
                            "at least one value is required",
                        );
                    }
                }
            }
            Self::AnyOf { alternatives } => {
                v.check(alternatives.len() >= 2, "alternatives", "at least two products are required");
                check_distinct(&mut v, "alternatives", alternatives.iter());
            }
            Self::Option { .. } => {}
            Self::Bundle { components } => {
                v.check(!components.is_empty(), "components", "at least one component is required");
                for (i, c) in components.iter().enumerate() {
                    v.check(c.quantity > 0, format!("components[{i}].quantity"), "must be greater than 0");
                }
                check_distinct(&mut v, "components", components.iter().map(|c| &c.product_id));
            }
        }
        v
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
            ProductDetails::Specific { manufacturer: "Acme".into(), model: None, sku: Some(" ".into()) },
            ProductDetails::Specification { attributes: vec![] },
            ProductDetails::AnyOf { alternatives: vec![id] },
            ProductDetails::AnyOf { alternatives: vec![id, id] },
            ProductDetails::Bundle { components: vec![BundleComponent { product_id: id, quantity: 0 }] },
            ProductDetails::Bundle { components: vec![] },
        ];
        for details in bad {
            assert!(!details.validate().is_empty(), "{details:?} was accepted");
        }
    }

    #[test]
    fn c1_references_are_listed_for_existence_checks() {
        let (a, b) = (ProductId::generate(), ProductId::generate());
        let bundle = ProductDetails::Bundle {
            components: vec![
                BundleComponent { product_id: a, quantity: 1 },
                BundleComponent { product_id: b, quantity: 3 },
            ],
        };
        assert_eq!(bundle.referenced_products(), vec![a, b]);
        assert!(ProductDetails::Service.referenced_products().is_empty());
    }
}
