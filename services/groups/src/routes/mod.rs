//! The groups HTTP API.

mod bulk;
mod create;
mod endpoints;
mod fulfilment;
mod lifecycle;
mod live;
mod members;
mod progress;
mod read;
mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every groups route; the OpenAPI document is collected from the same calls.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create::create_group)
        .service(read::list_groups)
        .service(read::get_group)
        .service(lifecycle::cancel_group)
        .service(bulk::declare_bulk_purchase)
        .service(bulk::purchase)
        .service(bulk::purchase_state)
        .service(members::join_group)
        .service(members::leave_group)
        .service(members::list_members)
        .service(fulfilment::confirm_fulfilment)
        .service(progress::get_quote)
        .service(progress::get_history)
        .service(live::stream_events)
        .service(webhooks::receive_payments_webhook)
        .service(webhooks::receive_shipping_webhook)
        .service(webhooks::receive_bidding_webhook)
        .service(endpoints::create_webhook_endpoint)
        .service(endpoints::list_webhook_endpoints)
        .service(endpoints::delete_webhook_endpoint)
        .service(platform::outbox::list_dead_letters)
        .service(platform::outbox::retry_dead_letter);
}
