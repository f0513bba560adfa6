//! How the services find each other (PRODUCT.md X7): the variables that point each one at the
//! peers it calls and give it the secrets their webhooks are signed with. One definition for every
//! way the suite runs — `groupbuy up` on one host, the cross-service journeys, docker compose and
//! Kubernetes (service names as hosts) — so that they cannot drift apart; `groupbuy wiring` prints
//! it for the deployment files' checks.

use crate::{SERVICES, ServiceEntry};

/// Where each service answers: its base URL.
pub struct Topology {
    urls: Vec<(&'static str, String)>,
}

impl Topology {
    /// Every service on `host`, at the port given (the default port when none is).
    pub fn local(host: &str, ports: &[(&'static ServiceEntry, u16)]) -> Self {
        Self { urls: ports.iter().map(|(entry, port)| (entry.name, format!("http://{host}:{port}"))).collect() }
    }

    /// Every service at its own host name and default port (docker compose, Kubernetes).
    pub fn named() -> Self {
        Self { urls: SERVICES.iter().map(|e| (e.name, format!("http://{}:{}", e.name, e.default_port))).collect() }
    }

    fn url(&self, service: &str) -> Option<&str> {
        self.urls.iter().find(|(name, _)| *name == service).map(|(_, url)| url.as_str())
    }
}

/// The Standard Webhooks secrets payments, shipping and bidding sign what they tell groups with.
pub struct WebhookSecrets {
    pub payments: String,
    pub shipping: String,
    pub bidding: String,
}

impl WebhookSecrets {
    /// `${PAYMENTS_WEBHOOK_SECRET}` and so on: how deployment files name them.
    pub fn placeholders() -> Self {
        Self {
            payments: "${PAYMENTS_WEBHOOK_SECRET}".to_owned(),
            shipping: "${SHIPPING_WEBHOOK_SECRET}".to_owned(),
            bidding: "${BIDDING_WEBHOOK_SECRET}".to_owned(),
        }
    }
}

/// The variables that point `service` at the peers it calls, with the webhook secrets.
pub fn peers(service: &str, topology: &Topology, secrets: &WebhookSecrets) -> Vec<(String, String)> {
    let url = |peer: &str| topology.url(peer).map(str::to_owned);
    let webhook = |path: &str| topology.url("groups").map(|groups| format!("{groups}/v1/webhooks/{path}"));
    let pairs = match service {
        "groups" => vec![
            ("GROUPBUY_GROUPS__CATALOG_URL", url("catalog")),
            ("GROUPBUY_GROUPS__PAYMENTS_URL", url("payments")),
            ("GROUPBUY_GROUPS__SHIPPING_URL", url("shipping")),
            ("GROUPBUY_GROUPS__BIDDING_URL", url("bidding")),
            ("GROUPBUY_GROUPS__PAYMENTS_WEBHOOK_SECRET", Some(secrets.payments.clone())),
            ("GROUPBUY_GROUPS__SHIPPING_WEBHOOK_SECRET", Some(secrets.shipping.clone())),
            ("GROUPBUY_GROUPS__BIDDING_WEBHOOK_SECRET", Some(secrets.bidding.clone())),
        ],
        "payments" => vec![
            ("GROUPBUY_PAYMENTS__SUBSCRIBER__URL", webhook("payments")),
            ("GROUPBUY_PAYMENTS__SUBSCRIBER__SECRET", Some(secrets.payments.clone())),
        ],
        "bidding" => vec![
            ("GROUPBUY_BIDDING__CATALOG_URL", url("catalog")),
            ("GROUPBUY_BIDDING__SUBSCRIBER__URL", webhook("bidding")),
            ("GROUPBUY_BIDDING__SUBSCRIBER__SECRET", Some(secrets.bidding.clone())),
        ],
        "shipping" => vec![
            ("GROUPBUY_SHIPPING__SUBSCRIBER__URL", webhook("shipping")),
            ("GROUPBUY_SHIPPING__SUBSCRIBER__SECRET", Some(secrets.shipping.clone())),
        ],
        _ => Vec::new(),
    };
    pairs.into_iter().filter_map(|(key, value)| Some((key.to_owned(), value?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x7_named_hosts_point_every_subscriber_at_groups_webhooks() {
        let env = peers("payments", &Topology::named(), &WebhookSecrets::placeholders());
        assert_eq!(
            env,
            vec![
                ("GROUPBUY_PAYMENTS__SUBSCRIBER__URL".to_owned(), "http://groups:8082/v1/webhooks/payments".to_owned()),
                ("GROUPBUY_PAYMENTS__SUBSCRIBER__SECRET".to_owned(), "${PAYMENTS_WEBHOOK_SECRET}".to_owned()),
            ]
        );
        assert!(peers("catalog", &Topology::named(), &WebhookSecrets::placeholders()).is_empty());
    }
}
