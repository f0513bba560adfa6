//! The catalog's HTTP API.

mod products;
mod suppliers;

use utoipa_actix_web::service_config::ServiceConfig;

/// Registers every catalog route; the OpenAPI document is collected from the same calls.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(suppliers::create_supplier)
        .service(suppliers::get_supplier)
        .service(products::create::create_product)
        .service(products::read::list_products)
        .service(products::read::get_product)
        .service(products::update::update_product)
        .service(products::update::archive_product)
        .service(products::discount_rate::get_discount_rate);
}
