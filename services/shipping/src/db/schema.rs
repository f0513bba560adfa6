//! The shipping tables, in types both SQLite and PostgreSQL hold the same way.

diesel::table! {
    shipping_bases (id) {
        id -> Text,
        name -> Text,
        callback_url -> Nullable<Text>,
        webhook_secret -> Text,
        paused -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    base_suppliers (base_id, supplier_id) {
        base_id -> Text,
        supplier_id -> Text,
    }
}

diesel::table! {
    shipments (id) {
        id -> Text,
        purchase_id -> Text,
        group_id -> Text,
        member -> Text,
        supplier_id -> Text,
        base_id -> Text,
        recipient -> Text,
        items -> Text,
        state -> Text,
        tracking_number -> Nullable<Text>,
        carrier -> Nullable<Text>,
        event_count -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    shipment_events (shipment_id, sequence) {
        shipment_id -> Text,
        sequence -> BigInt,
        state -> Text,
        tracking_number -> Nullable<Text>,
        carrier -> Nullable<Text>,
        note -> Nullable<Text>,
        source -> Text,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    base_webhook_messages (base_id, message_id) {
        base_id -> Text,
        message_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::joinable!(base_suppliers -> shipping_bases (base_id));
diesel::joinable!(shipments -> shipping_bases (base_id));
diesel::joinable!(shipment_events -> shipments (shipment_id));
diesel::allow_tables_to_appear_in_same_query!(
    shipping_bases,
    base_suppliers,
    shipments,
    shipment_events,
    base_webhook_messages
);
