//! The shipping API: bases (operator), shipments (groups, the base, the operator), status reports
//! (the base by token or signed webhook).

mod bases;
mod reports;
mod shipments;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(bases::create_base)
        .service(bases::get_base)
        .service(bases::update_base)
        .service(shipments::create_shipment)
        .service(shipments::get_shipment)
        .service(shipments::list_shipments)
        .service(reports::list_events)
        .service(reports::report_event)
        .service(reports::receive_base_webhook)
        .service(platform::outbox::list_dead_letters)
        .service(platform::outbox::retry_dead_letter);
}
