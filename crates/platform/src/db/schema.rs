//! The platform's tables, portable across SQLite and PostgreSQL.

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        request_hash -> Text,
        response_status -> Nullable<Integer>,
        response_body -> Nullable<Binary>,
        created_at -> Timestamp,
        owner -> Nullable<Text>,
        resource_id -> Nullable<Text>,
    }
}

diesel::table! {
    instances (id) {
        id -> Text,
        heartbeat_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        event_type -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        locked_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
        target -> Nullable<Text>,
        call_path -> Nullable<Text>,
        idempotency_key -> Nullable<Text>,
        lane -> Nullable<Text>,
    }
}
