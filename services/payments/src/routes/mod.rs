//! The payments API: internal endpoints for groups (service token), the operator's books, and
//! provider webhooks.

mod books;
mod idempotency;
mod payments;
pub(crate) mod refunds;
mod webhooks;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(payments::create_authorization)
        .service(payments::create_charge)
        .service(payments::capture_payment)
        .service(payments::void_payment)
        .service(payments::get_payment)
        .service(payments::list_payments)
        .service(refunds::create_refund)
        .service(refunds::get_refund)
        .service(refunds::list_refunds)
        .service(books::settle_group)
        .service(books::get_books)
        .service(webhooks::receive_webhook)
        .service(platform::outbox::list_dead_letters)
        .service(platform::outbox::retry_dead_letter);
}
