//! Rate limits per caller and per IP address (issue 13): on reads (`GET` and `HEAD /v1/…`) and on
//! the writes a service names (groups: joins, purchases with a purchaser ID or invite code, bulk
//! declarations; bidding: offers). A request over either limit answers 429 problem+json with
//! `Retry-After`. The operator and the services are not limited; a caller is the party a verified
//! token acts for (a supplier, whatever the token's subject) or else its role and subject, and a
//! request without a valid token is limited by its address only. Each limit is a number per minute, bursts up to it
//! allowed; 0 turns it off. Limits are per process: N replicas admit N times as much.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
};

use actix_web::{
    Error,
    body::{BoxBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::Method,
    middleware::Next,
    web,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use serde::Deserialize;

use crate::{
    ApiError,
    auth::{Role, TokenVerifier},
    config::LimitSettings,
};

/// One class's limits, per minute; 0 is off.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Rate {
    pub per_caller: u32,
    pub per_ip: u32,
}

impl Rate {
    pub const OFF: Self = Self { per_caller: 0, per_ip: 0 };
}

/// What a request is counted as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateClass {
    Reads,
    Joins,
    Purchases,
    Declarations,
    Offers,
}

impl RateClass {
    fn name(self) -> &'static str {
        match self {
            Self::Reads => "reads",
            Self::Joins => "joins",
            Self::Purchases => "purchases",
            Self::Declarations => "declarations",
            Self::Offers => "offers",
        }
    }
}

/// A write a service limits: any method but GET and HEAD on the document's path template.
pub type LimitedWrite = (&'static str, RateClass);

struct Limiters {
    per_caller: Option<DefaultKeyedRateLimiter<String>>,
    per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

fn limiter<K: std::hash::Hash + Eq + Clone>(per_minute: u32) -> Option<DefaultKeyedRateLimiter<K>> {
    NonZeroU32::new(per_minute).map(|n| RateLimiter::keyed(Quota::per_minute(n)))
}

impl Limiters {
    fn new(rate: Rate) -> Self {
        Self { per_caller: limiter(rate.per_caller), per_ip: limiter(rate.per_ip) }
    }
}

/// The process's limiters, shared by its workers.
pub struct RateLimits {
    reads: Limiters,
    joins: Limiters,
    purchases: Limiters,
    declarations: Limiters,
    offers: Limiters,
    writes: &'static [LimitedWrite],
    checks: AtomicU64,
}

/// Forgotten keys are dropped every this many checks, so that many callers seen once do not pile
/// up.
const PRUNE_EVERY: u64 = 4096;

impl RateLimits {
    pub fn new(settings: &LimitSettings, writes: &'static [LimitedWrite]) -> Self {
        Self {
            reads: Limiters::new(settings.reads),
            joins: Limiters::new(settings.joins),
            purchases: Limiters::new(settings.purchases),
            declarations: Limiters::new(settings.declarations),
            offers: Limiters::new(settings.offers),
            writes,
            checks: AtomicU64::new(0),
        }
    }

    fn limiters(&self, class: RateClass) -> &Limiters {
        match class {
            RateClass::Reads => &self.reads,
            RateClass::Joins => &self.joins,
            RateClass::Purchases => &self.purchases,
            RateClass::Declarations => &self.declarations,
            RateClass::Offers => &self.offers,
        }
    }

    /// The class of `method path`, if it is limited: `path` as the router matches it (percent-
    /// decoded), and HEAD is a read as GET is.
    pub fn class_of(&self, method: &Method, path: &str) -> Option<RateClass> {
        if matches!(*method, Method::GET | Method::HEAD) && path.starts_with("/v1/") {
            return Some(RateClass::Reads);
        }
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return None;
        }
        self.writes.iter().find(|(template, _)| matches_template(template, path)).map(|(_, class)| *class)
    }

    /// Counts one request of `class` from `caller` (if known) at `ip`; the seconds to wait when
    /// either limit is spent.
    pub fn check(&self, class: RateClass, caller: Option<&str>, ip: Option<IpAddr>) -> Result<(), u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            self.prune();
        }
        let limiters = self.limiters(class);
        let by_caller = caller.zip(limiters.per_caller.as_ref()).map(|(c, l)| wait(l, &c.to_owned()));
        let by_ip = ip.zip(limiters.per_ip.as_ref()).map(|(ip, l)| wait(l, &ip));
        match by_caller.flatten().max(by_ip.flatten()) {
            Some(secs) => Err(secs),
            None => Ok(()),
        }
    }

    fn prune(&self) {
        for limiters in [&self.reads, &self.joins, &self.purchases, &self.declarations, &self.offers] {
            if let Some(l) = &limiters.per_caller {
                l.retain_recent();
            }
            if let Some(l) = &limiters.per_ip {
                l.retain_recent();
            }
        }
    }
}

/// Whole seconds until `key` may go again (at least 1), or `None` when it may now.
fn wait<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Option<u64> {
    limiter.check_key(key).err().map(|not_until| {
        let wait = not_until.wait_time_from(limiter.clock().now());
        wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
    })
}

/// `/v1/groups/{id}/members` matches `/v1/groups/0190…/members`.
fn matches_template(template: &str, path: &str) -> bool {
    let (mut t, mut p) = (template.split('/'), path.split('/'));
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(t), Some(p)) if (t.starts_with('{') && !p.is_empty()) || t == p => {}
            _ => return false,
        }
    }
}

/// The middleware: counts each limited request against its caller and its address.
pub async fn limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let Some(limits) = req.app_data::<web::Data<RateLimits>>().cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    // The path the router matches, decoded as it decodes it: `/%76%31/groups` is `/v1/groups`.
    let Some(class) = limits.class_of(req.method(), req.match_info().as_str()) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let verifier = req.app_data::<web::Data<TokenVerifier>>();
    let caller = verifier.and_then(|v| v.authenticate(req.request()).ok());
    if caller.as_ref().is_some_and(|c| matches!(c.role, Role::Operator | Role::Service)) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let caller = caller.map(|c| c.acting_party());
    let ip = req.peer_addr().map(|a| a.ip());
    match limits.check(class, caller.as_deref(), ip) {
        Ok(()) => Ok(next.call(req).await?.map_into_boxed_body()),
        Err(secs) => {
            let error = ApiError::rate_limited(format!("the {} limit is spent; retry in {secs} s", class.name()), secs);
            Ok(req.error_response(error).map_into_boxed_body())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WRITES: &[LimitedWrite] = &[("/v1/groups/{id}/members", RateClass::Joins)];

    fn limits(per_caller: u32, per_ip: u32) -> RateLimits {
        let rate = Rate { per_caller, per_ip };
        let settings = LimitSettings {
            body_bytes: 1024,
            reads: rate,
            joins: rate,
            purchases: rate,
            declarations: rate,
            offers: rate,
        };
        RateLimits::new(&settings, WRITES)
    }

    #[test]
    fn classes_follow_method_and_template() {
        let limits = limits(1, 1);
        assert_eq!(limits.class_of(&Method::GET, "/v1/products"), Some(RateClass::Reads));
        assert_eq!(limits.class_of(&Method::GET, "/health/ready"), None);
        assert_eq!(limits.class_of(&Method::POST, "/v1/groups/abc/members"), Some(RateClass::Joins));
        assert_eq!(limits.class_of(&Method::POST, "/v1/groups/abc/members/x"), None);
        assert_eq!(limits.class_of(&Method::POST, "/v1/groups"), None);
        assert_eq!(limits.class_of(&Method::DELETE, "/v1/groups/abc/members"), Some(RateClass::Joins));
        assert_eq!(limits.class_of(&Method::OPTIONS, "/v1/groups/abc/members"), None);
        assert_eq!(limits.class_of(&Method::HEAD, "/v1/products"), Some(RateClass::Reads), "HEAD is a read");
    }

    // Issue 22, finding 6: an encoded path is served as the decoded one and HEAD as GET, so each
    // is counted as that.
    #[actix_web::test]
    async fn abuse_6_encoded_paths_and_head_are_limited() {
        use actix_web::{App, HttpResponse, middleware::from_fn, test};
        for (method, uri) in [
            (Method::GET, "/%76%31/groups"),
            (Method::HEAD, "/v1/groups"),
            (Method::POST, "/v1/groups/abc/%6Dembers"),
            (Method::POST, "/%76%31/groups/abc/members"),
        ] {
            let app = test::init_service(
                App::new()
                    .app_data(web::Data::new(limits(1, 1)))
                    .wrap(from_fn(limit))
                    .default_service(web::to(HttpResponse::Ok)),
            )
            .await;
            let peer: std::net::SocketAddr = ([10, 0, 0, 9], 4000).into();
            let call = || test::TestRequest::default().method(method.clone()).uri(uri).peer_addr(peer).to_request();
            assert_eq!(test::call_service(&app, call()).await.status(), 200, "{method} {uri}");
            assert_eq!(test::call_service(&app, call()).await.status(), 429, "{method} {uri} counted");
        }
    }

    #[test]
    fn a_caller_and_an_address_each_have_their_own_allowance() {
        let limits = limits(2, 3);
        let (a, b) = (Some("shopper:a"), Some("shopper:b"));
        let ip: Option<IpAddr> = Some([10, 0, 0, 1].into());
        assert_eq!(limits.check(RateClass::Joins, a, ip), Ok(()));
        assert_eq!(limits.check(RateClass::Joins, a, ip), Ok(()));
        let waited = limits.check(RateClass::Joins, a, ip).unwrap_err();
        assert!((1..=60).contains(&waited), "{waited}");
        // Another caller at the same address: one left there (the refused call counted too).
        assert!(limits.check(RateClass::Joins, b, ip).is_err());
        let elsewhere: Option<IpAddr> = Some([10, 0, 0, 2].into());
        assert_eq!(limits.check(RateClass::Joins, b, elsewhere), Ok(()));
        // Another class is counted apart.
        assert_eq!(limits.check(RateClass::Reads, a, elsewhere), Ok(()));
    }

    #[test]
    fn zero_is_off() {
        let limits = limits(0, 0);
        for _ in 0..1000 {
            assert_eq!(limits.check(RateClass::Reads, Some("shopper:a"), Some([10, 0, 0, 1].into())), Ok(()));
        }
    }
}
