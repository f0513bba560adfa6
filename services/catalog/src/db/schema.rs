//! The catalog's tables, in types both SQLite and PostgreSQL hold the same way.

diesel::table! {
    suppliers (id) {
        id -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    products (id) {
        id -> Text,
        supplier_id -> Text,
        kind -> Text,
        name -> Text,
        description -> Text,
        search_text -> Text,
        currency -> Text,
        list_price_minor -> BigInt,
        details -> Text,
        tier_basis -> Nullable<Text>,
        archived_at -> Nullable<Timestamp>,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    price_tiers (product_id, min_count) {
        product_id -> Text,
        min_count -> Integer,
        unit_price_minor -> BigInt,
    }
}

diesel::table! {
    discount_rates (product_id, min_quantity, within_days) {
        product_id -> Text,
        min_quantity -> Integer,
        within_days -> Integer,
        rate_millionths -> BigInt,
    }
}

diesel::joinable!(products -> suppliers (supplier_id));
diesel::joinable!(price_tiers -> products (product_id));
diesel::joinable!(discount_rates -> products (product_id));
diesel::allow_tables_to_appear_in_same_query!(suppliers, products, price_tiers, discount_rates);
