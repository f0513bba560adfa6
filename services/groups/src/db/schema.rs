//! The groups tables, portable across SQLite and PostgreSQL.

diesel::table! {
    groups (id) {
        id -> Text,
        mode -> Text,
        state -> Text,
        product_id -> Text,
        supplier_id -> Text,
        organizer -> Text,
        organizer_role -> Text,
        invite_code -> Text,
        currency -> Text,
        product -> Text,
        product_version -> BigInt,
        min_members -> Integer,
        max_members -> Nullable<Integer>,
        max_quantity -> Nullable<BigInt>,
        payment_methods -> Text,
        payment_plan -> Text,
        opens_at -> Timestamp,
        closes_at -> Timestamp,
        member_count -> Integer,
        quantity -> BigInt,
        seats_taken -> BigInt,
        event_count -> BigInt,
        final_unit_price_minor -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ceiling_minor -> Nullable<BigInt>,
        bids_close_at -> Nullable<Timestamp>,
        bid_requested_at -> Nullable<Timestamp>,
        bid_request_id -> Nullable<Text>,
        award_total_minor -> Nullable<BigInt>,
        close_waits_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    bulk_groups (group_id) {
        group_id -> Text,
        completion_policy -> Text,
        purchasers -> Integer,
        declared_quantity -> BigInt,
        period_ends_at -> Nullable<Timestamp>,
        favor_rate -> Nullable<Text>,
        no_favor -> Nullable<Text>,
        decided_quantity -> Nullable<BigInt>,
        decided_days -> Nullable<Integer>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    members (id) {
        id -> Text,
        group_id -> Text,
        shopper -> Text,
        seat -> BigInt,
        quantity -> Integer,
        payment_method -> Text,
        state -> Text,
        held_unit_price_minor -> BigInt,
        failure_code -> Nullable<Text>,
        joined_at -> Timestamp,
        updated_at -> Timestamp,
        payment_id -> Nullable<Text>,
        payment_state -> Nullable<Text>,
        ship_to -> Nullable<Text>,
        shipment_id -> Nullable<Text>,
        shipment_state -> Nullable<Text>,
        fulfilled_at -> Nullable<Timestamp>,
        favor_minor -> Nullable<BigInt>,
        favor_refunded_at -> Nullable<Timestamp>,
        demand_place -> Nullable<Integer>,
        charge_minor -> Nullable<BigInt>,
        shipped_by -> Nullable<Text>,
    }
}

diesel::table! {
    purchasers (id) {
        id -> Text,
        group_id -> Text,
        slot -> BigInt,
        name -> Nullable<Text>,
        email -> Nullable<Text>,
        quantity -> Integer,
        code_digest -> Nullable<Text>,
        shopper -> Nullable<Text>,
        member_id -> Nullable<Text>,
    }
}

diesel::table! {
    received_webhooks (message_id) {
        message_id -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    group_events (group_id, sequence) {
        group_id -> Text,
        sequence -> BigInt,
        kind -> Text,
        state -> Text,
        member_count -> Integer,
        quantity -> BigInt,
        unit_price_minor -> BigInt,
        recorded_at -> Timestamp,
    }
}

diesel::table! {
    webhook_endpoints (id) {
        id -> Text,
        url -> Text,
        secret -> Text,
        group_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::joinable!(members -> groups (group_id));
diesel::joinable!(group_events -> groups (group_id));
diesel::joinable!(purchasers -> groups (group_id));
diesel::joinable!(bulk_groups -> groups (group_id));
diesel::allow_tables_to_appear_in_same_query!(
    groups,
    members,
    group_events,
    purchasers,
    bulk_groups,
    received_webhooks,
    webhook_endpoints
);
