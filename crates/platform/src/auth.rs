//! Bearer JWT authentication (PRODUCT.md X3). HS256 with a shared secret in the embedded default,
//! RS256 or EdDSA public keys in production; `exp`, `iss` and `aud` are always checked.
//!
//! Handlers state who may call them in their signature: `who: Authenticated<OperatorOnly>` is a
//! 401 without a valid token and a 403 for any other role. Each service declares its own role sets
//! with [`role_sets!`]; the platform knows roles and the party a token acts for (`acts_for`), not
//! what a service calls that party (a supplier, a shipping base).

use std::{future::Future, marker::PhantomData, pin::Pin};

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
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

    /// Whether tokens of this role act for a party of their own (a supplier's systems for that
    /// supplier, a shipping base for itself) and must name it in `acts_for`.
    pub fn acts_for_a_party(&self) -> bool {
        matches!(self, Self::Supplier | Self::Shipping)
    }
}

/// The claims groupbuy reads from a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    /// The party the caller acts for: the supplier of a supplier token, the base of a shipping
    /// token. `supplier_id` and `base_id` are read as its other names.
    #[serde(default, alias = "supplier_id", alias = "base_id", skip_serializing_if = "Option::is_none")]
    pub acts_for: Option<uuid::Uuid>,
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
    /// The party the caller acts for, when its role acts for one.
    pub acts_for: Option<uuid::Uuid>,
}

impl Principal {
    /// The party this caller acts for, if it has `role`.
    pub fn acting_as(&self, role: Role) -> Option<uuid::Uuid> {
        (self.role == role).then_some(self.acts_for).flatten()
    }

    pub fn is_operator(&self) -> bool {
        self.role == Role::Operator
    }

    /// Who acts, for scoping what a caller left behind (idempotency keys): the supplier or base a
    /// token acts for, else the subject. Two tokens for one supplier share a scope; two suppliers
    /// never do, whatever their tokens' subjects.
    pub fn acting_party(&self) -> String {
        match self.acts_for {
            Some(party) if self.role.acts_for_a_party() => format!("{}:{party}", self.role.as_str()),
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
        if claims.role.acts_for_a_party() && claims.acts_for.is_none() {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                format!("a {} token must say whom it acts for (acts_for)", claims.role.as_str()),
            ));
        }
        Ok(Principal { subject: claims.sub, role: claims.role, acts_for: claims.acts_for })
    }

    /// Verifies the request's bearer token, once per request: the caller it found is kept in the
    /// request's extensions for the middleware and extractors that ask after it.
    pub fn authenticate(&self, req: &HttpRequest) -> Result<Principal, ApiError> {
        if let Some(known) = req.extensions().get::<Principal>() {
            return Ok(known.clone());
        }
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
        let principal = self.verify(token.trim())?;
        req.extensions_mut().insert(principal.clone());
        Ok(principal)
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

/// Mints tokens: HS256 development tokens from `groupbuy token` and in tests; EdDSA service
/// tokens a service signs for its own calls in production (its private key, the verifiers' public
/// key).
pub struct TokenIssuer {
    key: EncodingKey,
    algorithm: Algorithm,
    issuer: String,
    audience: String,
}

impl TokenIssuer {
    pub fn hs256(secret: &str, issuer: &str, audience: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(secret.as_bytes()),
            algorithm: Algorithm::HS256,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        }
    }

    /// Signs with an Ed25519 private key (PKCS#8 PEM).
    pub fn eddsa(private_key_pem: &str, issuer: &str, audience: &str) -> anyhow::Result<Self> {
        Ok(Self {
            key: EncodingKey::from_ed_pem(private_key_pem.as_bytes())?,
            algorithm: Algorithm::EdDSA,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
        })
    }

    /// A token for `role`, acting for `acts_for` where the role needs a party.
    pub fn issue(
        &self,
        role: Role,
        subject: &str,
        acts_for: Option<uuid::Uuid>,
        ttl: chrono::Duration,
    ) -> anyhow::Result<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: subject.to_owned(),
            role,
            acts_for,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + ttl.num_seconds(),
            iat: now,
            nbf: None,
        };
        Ok(jsonwebtoken::encode(&Header::new(self.algorithm), &claims, &self.key)?)
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

/// Declares role sets: `role_sets! { /// doc \n Name => [Operator, Service]; }`.
#[macro_export]
macro_rules! role_sets {
    ($($(#[$doc:meta])* $name:ident => [$($role:ident),+];)*) => {$(
        $(#[$doc])*
        pub struct $name;
        impl $crate::auth::RoleSet for $name {
            const ROLES: &'static [$crate::auth::Role] = &[$($crate::auth::Role::$role),+];
        }
    )*};
}

role_sets! {
    /// The operator only (the platform's own operator endpoints).
    OperatorOnly => [Operator];
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
        let supplier = uuid::Uuid::new_v4();
        let token = TokenIssuer::hs256(SECRET, "groupbuy", "groupbuy")
            .issue(Role::Supplier, "acme", Some(supplier), chrono::Duration::minutes(5))
            .unwrap();
        let principal = TokenVerifier::from_settings(&settings()).unwrap().verify(&token).unwrap();
        assert_eq!(principal.acting_as(Role::Supplier), Some(supplier));
        assert_eq!(principal.acting_as(Role::Shipping), None);
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
            acts_for: None,
            iss: "groupbuy".into(),
            aud: "groupbuy".into(),
            exp: now + 60,
            iat: now,
            nbf: None,
        };
        let key = EncodingKey::from_ed_pem(PRIVATE.as_bytes()).unwrap();
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &key).unwrap();
        assert_eq!(verifier.verify(&token).unwrap().role, Role::Service);
        let issued = TokenIssuer::eddsa(PRIVATE, "groupbuy", "groupbuy").unwrap().issue(
            Role::Service,
            "groups",
            None,
            chrono::Duration::minutes(10),
        );
        assert_eq!(verifier.verify(&issued.unwrap()).unwrap().subject, "groups");
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
            acts_for: None,
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
    fn x3_tokens_from_issuers_naming_supplier_id_or_base_id_are_read() {
        let verifier = TokenVerifier::from_settings(&settings()).unwrap();
        let now = chrono::Utc::now().timestamp();
        let party = uuid::Uuid::new_v4();
        for (role, claim) in [("supplier", "supplier_id"), ("shipping", "base_id")] {
            let claims = serde_json::json!({
                "sub": "s", "role": role, claim: party, "iss": "groupbuy", "aud": "groupbuy", "exp": now + 60, "iat": now,
            });
            let token = jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .unwrap();
            assert_eq!(verifier.verify(&token).unwrap().acts_for, Some(party), "{claim}");
        }
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
        let principal = |role, acts_for| Principal { subject: "same".into(), role, acts_for };
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        assert_ne!(
            principal(Role::Supplier, Some(a)).acting_party(),
            principal(Role::Supplier, Some(b)).acting_party()
        );
        assert_ne!(
            principal(Role::Shipping, Some(a)).acting_party(),
            principal(Role::Shipping, Some(b)).acting_party()
        );
        assert_eq!(principal(Role::Service, None).acting_party(), "service:same");
    }

    #[test]
    fn x3_short_secrets_are_refused_at_start() {
        let mut s = settings();
        s.secret = Some(Secret::new("short"));
        assert!(TokenVerifier::from_settings(&s).is_err());
    }
}
