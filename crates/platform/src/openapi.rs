//! Finishing touches to a service's generated OpenAPI document, and what the server learns from
//! it: the errors every operation can answer with (so no handler has to list them and none can
//! forget), a description on every response and an explicit `security` on every operation (as
//! OpenAPI 3.1 and strict code generators require), and which methods each path allows (for 405
//! answers).

use crate::error::ErrorCode;
use actix_web::http::Method;
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    path::{Operation, ParameterIn},
};

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/problem+json", content).build())
}

/// Completes every operation: the platform's error responses it can produce and does not yet
/// list, a description on each response, and `security: []` where no token is needed.
pub fn complete_operations(api: &mut OpenApi, limited_writes: &[crate::rate_limit::LimitedWrite]) {
    for (path, item) in &mut api.paths.paths {
        let in_path = path.contains('{');
        let operations = [
            (Method::GET, &mut item.get),
            (Method::POST, &mut item.post),
            (Method::PUT, &mut item.put),
            (Method::PATCH, &mut item.patch),
            (Method::DELETE, &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                add_to(operation, &method, in_path, path != "/health/live");
                let limited = (method == Method::GET && path.starts_with("/v1/"))
                    || (method != Method::GET && limited_writes.iter().any(|(p, _)| p == path));
                if limited {
                    let too_many = problem("Over the rate limit; retry after `Retry-After` seconds");
                    operation.responses.responses.entry("429".to_owned()).or_insert(too_many);
                }
                describe_responses(operation);
                operation.security.get_or_insert_with(Vec::new);
            }
        }
    }
}

/// A response without a description gets its error code's title, else the status's reason.
fn describe_responses(op: &mut Operation) {
    for (code, response) in &mut op.responses.responses {
        let RefOr::T(response) = response else { continue };
        if !response.description.is_empty() {
            continue;
        }
        let status = code.parse().ok().and_then(|c| actix_web::http::StatusCode::from_u16(c).ok());
        let title = status.and_then(|s| ErrorCode::for_status(s).filter(|_| s.as_u16() >= 400).map(ErrorCode::title));
        response.description =
            title.or_else(|| status.and_then(|s| s.canonical_reason())).unwrap_or("The response").to_owned();
    }
}

fn add_to(op: &mut Operation, method: &Method, in_path: bool, uses_store: bool) {
    let has_query = op
        .parameters
        .iter()
        .flatten()
        .any(|p| matches!(p, RefOr::T(p) if matches!(p.parameter_in, ParameterIn::Query)));
    let mut wanted: Vec<(&str, &str)> = Vec::new();
    if *method == Method::POST || op.request_body.is_some() || has_query {
        wanted.push(("400", "The request could not be read (body, query or Idempotency-Key)"));
    }
    if has_query {
        wanted.push(("422", "A query parameter is out of range"));
    }
    if *method == Method::POST {
        wanted.push(("409", "A request with this Idempotency-Key is still being processed"));
        wanted.push(("422", "This Idempotency-Key was used with a different request"));
    }
    if op.request_body.is_some() {
        wanted.push(("413", "The request body is too large"));
        wanted.push(("415", "The request body must be application/json"));
    }
    if op.security.is_some() {
        wanted.push(("401", "A valid bearer token is required"));
        wanted.push(("403", "This caller may not do this"));
    }
    if in_path {
        wanted.push(("404", "No such resource"));
    }
    if *method == Method::GET {
        wanted.push(("304", "Not modified: `If-None-Match` named the current `ETag`"));
    }
    if uses_store {
        wanted.push(("503", "The store is unavailable; retry after `Retry-After` seconds"));
    }
    for (code, description) in wanted {
        op.responses.responses.entry(code.to_owned()).or_insert_with(|| problem(description));
    }
}

/// The documented paths and their methods, for telling "no such method" from "no such path".
#[derive(Debug, Clone, Default)]
pub struct RouteTable(Vec<(Vec<String>, Vec<Method>)>);

impl RouteTable {
    pub fn from_document(api: &OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (Method::GET, item.get.is_some()),
                    // Every GET answers HEAD too (see `cache`).
                    (Method::HEAD, item.get.is_some()),
                    (Method::POST, item.post.is_some()),
                    (Method::PUT, item.put.is_some()),
                    (Method::PATCH, item.patch.is_some()),
                    (Method::DELETE, item.delete.is_some()),
                ];
                let segments = path.split('/').map(str::to_owned).collect();
                (segments, methods.into_iter().filter(|(_, on)| *on).map(|(m, _)| m).collect())
            })
            .collect();
        Self(routes)
    }

    /// The methods allowed on `path`: those of the matching template with the most literal
    /// segments (`/v1/payments/charges` before `/v1/payments/{id}`), as the router prefers.
    pub fn allowed(&self, path: &str) -> Option<Vec<Method>> {
        let segments: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|(template, _)| {
                template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(t, s)| (t.starts_with('{') && !s.is_empty()) || t == s)
            })
            .max_by_key(|(template, _)| template.iter().filter(|t| !t.starts_with('{')).count())
            .map(|(_, methods)| methods.clone())
    }
}

/// Named schemas as utoipa collects them.
type Schemas = Vec<(String, RefOr<utoipa::openapi::schema::Schema>)>;

/// An event a service sends through its outbox, for the document's `webhooks` section.
pub struct EventDoc {
    /// The key under `webhooks`: the event type, with the receiver when one type goes two ways.
    pub key: &'static str,
    /// The `type` field of the envelope.
    pub event_type: &'static str,
    pub summary: &'static str,
    /// Adds the data's schema (and those it refers to) to the list; returns its name.
    data_schema: fn(&mut Schemas) -> String,
}

impl EventDoc {
    /// An event whose `data` is a `T`.
    pub fn of<T: utoipa::ToSchema>(key: &'static str, event_type: &'static str, summary: &'static str) -> Self {
        fn collect<T: utoipa::ToSchema>(schemas: &mut Schemas) -> String {
            schemas.push((T::name().into_owned(), T::schema()));
            T::schemas(schemas);
            T::name().into_owned()
        }
        Self { key, event_type, summary, data_schema: collect::<T> }
    }
}

/// Documents the events as OpenAPI 3.1 webhooks: each a signed POST (Standard Webhooks) of the
/// envelope `{"type", "timestamp", "data"}`, acknowledged by any 2xx and retried otherwise.
pub fn add_webhooks(api: &mut OpenApi, events: &[EventDoc]) {
    use utoipa::openapi::{
        HttpMethod, ObjectBuilder, PathItem, Required,
        path::{OperationBuilder, ParameterBuilder},
        request_body::RequestBodyBuilder,
        schema::{KnownFormat, SchemaFormat, Type},
    };
    if events.is_empty() {
        return;
    }
    let mut schemas = Vec::new();
    let mut webhooks = utoipa::openapi::Paths::new();
    for event in events {
        let data = (event.data_schema)(&mut schemas);
        let envelope = ObjectBuilder::new()
            .property("type", ObjectBuilder::new().schema_type(Type::String).enum_values(Some([event.event_type])))
            .property(
                "timestamp",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
            )
            .property("data", Ref::from_schema_name(data))
            .required("type")
            .required("timestamp")
            .required("data");
        let header = |name: &str, description: &str| {
            ParameterBuilder::new()
                .name(name)
                .parameter_in(ParameterIn::Header)
                .required(Required::True)
                .description(Some(description))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build()
        };
        let acknowledged = ResponseBuilder::new().description("Received; any other answer is retried with backoff");
        let operation = OperationBuilder::new()
            .summary(Some(event.summary))
            .operation_id(Some(event.key.replace([' ', '(', ')'], "_")))
            .parameter(header("webhook-id", "The event's id: the same on every retry, for de-duplication"))
            .parameter(header("webhook-timestamp", "Unix seconds when this attempt was signed"))
            .parameter(header("webhook-signature", "`v1,<base64 HMAC-SHA256 of id.timestamp.body>`"))
            .request_body(Some(
                RequestBodyBuilder::new()
                    .content("application/json", ContentBuilder::new().schema(Some(envelope)).build())
                    .required(Some(Required::True))
                    .build(),
            ))
            .response("200", acknowledged)
            .build();
        let mut operation = operation;
        // Signed, not bearer-authenticated.
        operation.security = Some(Vec::new());
        webhooks.paths.insert(event.key.to_owned(), PathItem::new(HttpMethod::Post, operation));
    }
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
    api.webhooks = Some(webhooks);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn x5_templates_match_concrete_paths() {
        let mut api = OpenApi::default();
        let op = Operation::default();
        api.paths
            .paths
            .insert("/v1/products/{id}".into(), utoipa::openapi::PathItem::new(utoipa::openapi::HttpMethod::Get, op));
        let table = RouteTable::from_document(&api);
        assert_eq!(table.allowed("/v1/products/abc"), Some(vec![Method::GET, Method::HEAD]));
        assert_eq!(table.allowed("/v1/products/"), None);
        assert_eq!(table.allowed("/v1/products/abc/x"), None);
        api.paths.paths.insert(
            "/v1/products/featured".into(),
            utoipa::openapi::PathItem::new(utoipa::openapi::HttpMethod::Post, Operation::default()),
        );
        let table = RouteTable::from_document(&api);
        assert_eq!(table.allowed("/v1/products/featured"), Some(vec![Method::POST]), "the literal path wins");
    }
}
