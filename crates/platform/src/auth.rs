//! Bearer JWT authentication (PRODUCT.md X3). HS256 with a shared secret in the embedded default,
//! RS256 or EdDSA public keys in production; `exp`, `iss` and `aud` are always checked.
//!
//! Handlers state who may call them in their signature: `who: Authenticated<OperatorOnly>` is a
//! 401 without a valid token and a 403 for any other role.

use std::{future::Future, marker::PhantomData, pin::Pin};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use domain::{ShippingBaseId, SupplierId};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::{
    config::{AuthSettings, JwtAlgorithm},
    error::{ApiError, ErrorCode},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Shopper,
    Supplier,
    Shipping,
    Operator,
    /// Another groupbuy service calling an internal endpoint.
    Service,
}

impl Role {
    pub const ALL: [Role; 5] = [Self::Shopper, Self::Supplier, Self::Shipping, Self::Operator, Self::Service];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Shopper => "shopper",
            Self::Supplier => "supplier",
            Self::Shipping => "shipping",
            Self::Operator => "operator",
            Self::Service => "service",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The claims groupbuy reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// Present on supplier tokens: the supplier the caller acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier_id: Option<SupplierId>,
    /// Present on shipping tokens: the shipping base the caller acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_id: Option<ShippingBaseId>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    /// Not before: the token is refused until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
}

/// A caller whose token was verified.
#[derive(Debug, Clone)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub supplier_id: Option<SupplierId>,
    pub base_id: Option<ShippingBaseId>,
}

impl Principal {
    /// The supplier this caller acts for, if it is a supplier.
    pub fn acting_supplier(&self) -> Option<SupplierId> {
        (self.role == Role::Supplier).then_some(self.supplier_id).flatten()
    }

    /// The shipping base this caller acts for, if it is a shipping base.
    pub fn acting_base(&self) -> Option<ShippingBaseId> {
        (self.role == Role::Shipping).then_some(self.base_id).flatten()
    }

    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// Who acts, for scoping what a caller left behind (idempotency keys): the supplier or base a
    /// token acts for, else the subject. Two tokens for one supplier share a scope; two suppliers
    /// never do, whatever their tokens' subjects.
    pub fn acting_party(&self) -> String {
        match (self.acting_supplier(), self.acting_base()) {
            (Some(supplier), _) => format!("supplier:{supplier}"),
            (_, Some(base)) => format!("shipping:{base}"),
            _ => format!("{}:{}", self.role.as_str(), self.subject),
        }
    }
}

/// The longest a token may live (`exp` minus now): a stolen token is not good for years.
pub const MAX_TOKEN_LIFETIME_SECS: i64 = 7 * 24 * 3600;

/// Checks tokens; shared by every request through app data.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn from_settings(settings: &AuthSettings) -> anyhow::Result<Self> {
        let (key, algorithm) = match settings.algorithm {
            JwtAlgorithm::HS256 => {
                let secret =
                    settings.secret.as_ref().ok_or_else(|| anyhow::anyhow!("auth.secret is required for HS256"))?;
                anyhow::ensure!(secret.expose().len() >= 32, "auth.secret must be at least 32 bytes");
                (DecodingKey::from_secret(secret.expose().as_bytes()), Algorithm::HS256)
            }
            JwtAlgorithm::RS256 => (DecodingKey::from_rsa_pem(public_key(settings)?.as_bytes())?, Algorithm::RS256),
            JwtAlgorithm::EdDSA => (DecodingKey::from_ed_pem(public_key(settings)?.as_bytes())?, Algorithm::EdDSA),
        };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.issuer]);
        validation.set_audience(&[&settings.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECS as u64;
        validation.validate_nbf = true;
        Ok(Self { key, validation })
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|e| ApiError::new(ErrorCode::Unauthenticated, format!("invalid token: {e}")))?;
        let claims = data.claims;
        let now = chrono::Utc::now().timestamp();
        if claims.iat > now + LEEWAY_SECS {
            return Err(ApiError::new(ErrorCode::Unauthenticated, "invalid token: issued in the future"));
        }
        if claims.exp > now + MAX_TOKEN_LIFETIME_SECS {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                format!("invalid token: it may live at most {} days", MAX_TOKEN_LIFETIME_SECS / 86400),
            ));
        }
        if claims.role == Role::Supplier && claims.supplier_id.is_none() {
            return Err(ApiError::new(ErrorCode::Unauthenticated, "a supplier token must carry supplier_id"));
        }
        if claims.role == Role::Shipping && claims.base_id.is_none() {
            return Err(ApiError::new(ErrorCode::Unauthenticated, "a shipping token must carry base_id"));
        }
        Ok(Principal {
            subject: claims.sub,
            role: claims.role,
            supplier_id: claims.supplier_id,
            base_id: claims.base_id,
        })
    }

    /// Verifies the request's bearer token.
    pub fn authenticate(&self, req: &HttpRequest) -> Result<Principal, ApiError> {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "missing Authorization header"))?;
        // Auth schemes are case-insensitive (RFC 9110 11.1).
        let token = header
            .to_str()
            .ok()
            .and_then(|h| h.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token)
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "expected `Authorization: Bearer <token>`"))?;
        self.verify(token.trim())
    }
}

/// Clock skew tolerated between the token issuer and us.
const LEEWAY_SECS: i64 = 30;

fn public_key(settings: &AuthSettings) -> anyhow::Result<&str> {
    settings
        .public_key_pem
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("auth.public_key_pem is required for {:?}", settings.algorithm))
}

/// Mints HS256 tokens: development tokens from `groupbuy token`, and tokens in tests.
pub struct TokenIssuer {
    key: EncodingKey,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn hs256(secret: &str, issuer: &str, audience: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    pub fn issue(
        &self,
        role: Role,
        subject: &str,
        supplier_id: Option<SupplierId>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        self.issue_with(role, subject, supplier_id, None, ttl)
    }

    /// A token that may also name the shipping base it acts for.
    pub fn issue_with(
        &self,
        role: Role,
        subject: &str,
        supplier_id: Option<SupplierId>,
        base_id: Option<ShippingBaseId>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            supplier_id,
            base_id,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + ttl.num_seconds(),
            iat: now,
            nbf: None,
        };
        Ok(jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)?)
    }
}

impl FromRequest for Principal {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(match req.app_data::<web::Data<TokenVerifier>>() {
            Some(verifier) => verifier.authenticate(req),
            None => Err(ApiError::internal(anyhow::anyhow!("TokenVerifier missing from app data"))),
        })
    }
}

/// A set of roles allowed to call a handler.
pub trait RoleSet {
    const ROLES: &'static [Role];
}

macro_rules! role_sets {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl RoleSet for $name {
            const ROLES: &'static [Role] = &[$(Role::$role),+];
        }
    )*};
}

role_sets! {
    /// The operator only.
    OperatorOnly => [Operator];
    /// A supplier (for itself) or the operator (for any supplier).
    SupplierOrOperator => [Supplier, Operator];
    /// Another groupbuy service.
    ServiceOnly => [Service];
    /// Another groupbuy service, or the operator looking.
    ServiceOrOperator => [Service, Operator];
    /// A shopper.
    ShopperOnly => [Shopper];
    /// A supplier, for itself.
    SupplierOnly => [Supplier];
    /// A shipping base or carrier.
    ShippingOnly => [Shipping];
    /// A shipping base (for its own shipments) or the operator.
    ShippingOrOperator => [Shipping, Operator];
    /// Who may read shipments: the operator, the services, the base handling them.
    ShipmentReaders => [Operator, Service, Shipping];
}

/// A verified caller whose role is in `R`.
pub struct Authenticated<R: RoleSet> {
    pub principal: Principal,
    _roles: PhantomData<R>,
}

impl<R: RoleSet> std::ops::Deref for Authenticated<R> {
    type Target = Principal;
    fn deref(&self) -> &Principal {
        &self.principal
    }
}

impl<R: RoleSet + 'static> FromRequest for Authenticated<R> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let principal = Principal::from_request(req, payload).into_inner();
        Box::pin(async move {
            let principal = principal?;
            if !R::ROLES.contains(&principal.role) {
                return Err(ApiError::forbidden(format!("role `{}` may not do this", principal.role.as_str())));
            }
            Ok(Self { principal, _roles: PhantomData })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn settings() -> AuthSettings {
        AuthSettings {
            algorithm: JwtAlgorithm::HS256,
            secret: Some(Secret::new(SECRET)),
            public_key_pem: None,
            issuer: "groupbuy".into(),
            audience: "groupbuy".into(),
        }
    }

    #[test]
    fn x3_a_token_round_trips() {
        let supplier = SupplierId::generate();
        let token = TokenIssuer::hs256(SECRET, "groupbuy", "groupbuy")
            .issue(Role::Supplier, "acme", Some(supplier), chrono::Duration::minutes(5))
            .unwrap();
        let principal = TokenVerifier::from_settings(&settings()).unwrap().verify(&token).unwrap();
        assert_eq!(principal.acting_supplier(), Some(supplier));
    }

    #[test]
    fn x3_expired_foreign_or_misaddressed_tokens_are_refused() {
        let verifier = TokenVerifier::from_settings(&settings()).unwrap();
        let cases = [
            TokenIssuer::hs256(SECRET, "groupbuy", "groupbuy").issue(
                Role::Operator,
                "op",
                None,
                chrono::Duration::minutes(-10),
            ),
            TokenIssuer::hs256(SECRET, "someone-else", "groupbuy").issue(
                Role::Operator,
                "op",
                None,
                chrono::Duration::minutes(5),
            ),
            TokenIssuer::hs256(SECRET, "groupbuy", "elsewhere").issue(
                Role::Operator,
                "op",
                None,
                chrono::Duration::minutes(5),
            ),
            TokenIssuer::hs256("another-secret-another-secret-00", "groupbuy", "groupbuy").issue(
                Role::Operator,
                "op",
                None,
                chrono::Duration::minutes(5),
            ),
            // A supplier token that does not say which supplier.
            TokenIssuer::hs256(SECRET, "groupbuy", "groupbuy").issue(
                Role::Supplier,
                "s",
                None,
                chrono::Duration::minutes(5),
            ),
        ];
        for token in cases {
            let err = verifier.verify(&token.unwrap()).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Unauthenticated);
        }
    }

    /// Production verifies with a public key only: an Ed25519 pair made for this test.
    #[test]
    fn x3_eddsa_tokens_verify_with_the_public_key() {
        const PRIVATE: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEICpDnaRzBgGrMxedCiRwR0GfWwQSxOlFCYaHX1+d7XyW\n-----END PRIVATE KEY-----\n";
        const PUBLIC: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEADVp6ADD90l91WEN77q3GCmH03jhKjcQFSRkKp01h3Qs=\n-----END PUBLIC KEY-----\n";
        let settings = AuthSettings {
            algorithm: JwtAlgorithm::EdDSA,
            secret: None,
            public_key_pem: Some(PUBLIC.into()),
            ..settings()
        };
        let verifier = TokenVerifier::from_settings(&settings).unwrap();
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "svc".into(),
            role: Role::Service,
            supplier_id: None,
            base_id: None,
            iss: "groupbuy".into(),
            aud: "groupbuy".into(),
            exp: now + 60,
            iat: now,
            nbf: None,
        };
        let key = EncodingKey::from_ed_pem(PRIVATE.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().role, Role::Service);
        // An HS256 token is refused by an EdDSA verifier, whatever its secret.
        let hs = TokenIssuer::hs256(SECRET, "groupbuy", "groupbuy").issue(
            Role::Operator,
            "op",
            None,
            chrono::Duration::minutes(5),
        );
        assert!(verifier.verify(&hs.unwrap()).is_err());
    }

    fn signed(claims: &Claims) -> String {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &EncodingKey::from_secret(SECRET.as_bytes()))
            .unwrap()
    }

    fn claims_at(iat: i64, exp: i64, nbf: Option<i64>) -> Claims {
        Claims {
            sub: "op".into(),
            role: Role::Operator,
            supplier_id: None,
            base_id: None,
            iss: "groupbuy".into(),
            aud: "groupbuy".into(),
            exp,
            iat,
            nbf,
        }
    }

    /// Issue 7, finding 9: `nbf`, a future `iat` and a far `exp` were ignored.
    #[test]
    fn x3_tokens_not_yet_valid_or_living_too_long_are_refused() {
        let verifier = TokenVerifier::from_settings(&settings()).unwrap();
        let now = chrono::Utc::now().timestamp();
        let year_9999 = 253_402_300_799;
        for (claims, why) in [
            (claims_at(now, now + 600, Some(now + 300)), "nbf in the future"),
            (claims_at(now + 3600, now + 7200, None), "iat in the future"),
            (claims_at(now, year_9999, None), "exp in year 9999"),
            (claims_at(now, now + MAX_TOKEN_LIFETIME_SECS + 120, None), "longer than the maximum lifetime"),
        ] {
            let err = verifier.verify(&signed(&claims)).unwrap_err();
            assert_eq!(err.code(), ErrorCode::Unauthenticated, "{why}");
        }
        assert!(verifier.verify(&signed(&claims_at(now, now + 600, Some(now - 10)))).is_ok());
    }

    #[test]
    fn x3_the_bearer_scheme_is_case_insensitive() {
        let verifier = TokenVerifier::from_settings(&settings()).unwrap();
        let token = signed(&claims_at(chrono::Utc::now().timestamp(), chrono::Utc::now().timestamp() + 60, None));
        for scheme in ["Bearer", "bearer", "BEARER"] {
            let req = actix_web::test::TestRequest::default()
                .insert_header(("authorization", format!("{scheme} {token}")))
                .to_http_request();
            assert!(verifier.authenticate(&req).is_ok(), "{scheme}");
        }
        let basic = actix_web::test::TestRequest::default()
            .insert_header(("authorization", format!("Basic {token}")))
            .to_http_request();
        assert!(verifier.authenticate(&basic).is_err());
    }

    /// Issue 7, finding 2: keys were scoped by `role:sub`, which tokens of one kind shared.
    #[test]
    fn x4_the_scope_is_the_acting_party_not_the_subject() {
        let principal = |role, supplier_id, base_id| Principal { subject: "same".into(), role, supplier_id, base_id };
        let (a, b) = (SupplierId::generate(), SupplierId::generate());
        assert_ne!(
            principal(Role::Supplier, Some(a), None).acting_party(),
            principal(Role::Supplier, Some(b), None).acting_party()
        );
        let (x, y) = (ShippingBaseId::generate(), ShippingBaseId::generate());
        assert_ne!(
            principal(Role::Shipping, None, Some(x)).acting_party(),
            principal(Role::Shipping, None, Some(y)).acting_party()
        );
        assert_eq!(principal(Role::Service, None, None).acting_party(), "service:same");
    }

    #[test]
    fn x3_short_secrets_are_refused_at_start() {
        let mut s = settings();
        s.secret = Some(Secret::new("short"));
        assert!(TokenVerifier::from_settings(&s).is_err());
    }
}
