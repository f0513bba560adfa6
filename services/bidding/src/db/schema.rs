//! The bidding tables, in types both SQLite and PostgreSQL hold the same way.

diesel::table! {
    bid_requests (id) {
        id -> Text,
        group_id -> Nullable<Text>,
        product_id -> Text,
        supplier_id -> Text,
        quantity -> BigInt,
        currency -> Text,
        ceiling_minor -> BigInt,
        closes_at -> Timestamp,
        rule -> Text,
        price_weight -> Nullable<Text>,
        delivery_day_weight -> Nullable<Text>,
        state -> Text,
        created_by -> Text,
        created_at -> Timestamp,
        award -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
        specification -> Nullable<Text>,
        demands -> Nullable<Text>,
    }
}

diesel::table! {
    offers (id) {
        id -> Text,
        bid_request_id -> Text,
        supplier_id -> Text,
        unit_price_minor -> BigInt,
        min_quantity -> BigInt,
        max_quantity -> BigInt,
        delivery_days -> BigInt,
        terms -> Nullable<Text>,
        state -> Text,
        revision -> BigInt,
        submitted_at -> Timestamp,
        salt -> Text,
        digest -> Text,
        partners -> Nullable<Text>,
    }
}

diesel::joinable!(offers -> bid_requests (bid_request_id));
diesel::allow_tables_to_appear_in_same_query!(bid_requests, offers, supplier_endpoints);

diesel::table! {
    supplier_endpoints (supplier_id) {
        supplier_id -> Text,
        url -> Text,
        secret -> Text,
        created_at -> Timestamp,
    }
}
