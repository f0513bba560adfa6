//! The bidding API: bid requests (groups, the operator), offers (suppliers), the award (anyone
//! with a token).

mod award;
mod endpoints;
mod offers;
mod requests;

use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(requests::create_bid_request)
        .service(requests::list_bid_requests)
        .service(requests::get_bid_request)
        .service(offers::submit_offer)
        .service(offers::list_offers)
        .service(offers::revise_offer)
        .service(offers::withdraw_offer)
        .service(offers::confirm_offer)
        .service(offers::decline_offer)
        .service(award::get_award)
        .service(endpoints::set_endpoint)
        .service(endpoints::delete_endpoint)
        .service(platform::outbox::list_dead_letters)
        .service(platform::outbox::retry_dead_letter);
}
