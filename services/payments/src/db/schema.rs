//! The payments tables, in types both SQLite and PostgreSQL hold the same way.

diesel::table! {
    payments (id) {
        id -> Text,
        group_id -> Text,
        member -> Text,
        purpose -> Text,
        currency -> Text,
        amount_minor -> BigInt,
        captured_minor -> BigInt,
        refunded_minor -> BigInt,
        refund_reserved_minor -> BigInt,
        capture_method -> Text,
        method_type -> Text,
        method_last4 -> Nullable<Text>,
        provider -> Text,
        provider_ref -> Nullable<Text>,
        state -> Text,
        failure_code -> Nullable<Text>,
        hold_expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    refunds (id) {
        id -> Text,
        payment_id -> Text,
        amount_minor -> BigInt,
        reason -> Text,
        state -> Text,
        provider_ref -> Nullable<Text>,
        failure_code -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    ledger_entries (id) {
        id -> Text,
        group_id -> Text,
        kind -> Text,
        source_id -> Text,
        currency -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    ledger_lines (entry_id, account) {
        entry_id -> Text,
        account -> Text,
        amount_minor -> BigInt,
    }
}

diesel::table! {
    webhook_events (provider, event_id) {
        provider -> Text,
        event_id -> Text,
        event_type -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    settlements (group_id) {
        group_id -> Text,
        settled_at -> Timestamp,
    }
}

diesel::joinable!(refunds -> payments (payment_id));
diesel::joinable!(ledger_lines -> ledger_entries (entry_id));
diesel::allow_tables_to_appear_in_same_query!(
    payments,
    refunds,
    ledger_entries,
    ledger_lines,
    webhook_events,
    settlements
);
