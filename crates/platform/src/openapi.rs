//! Finishing touches to a service's generated OpenAPI document, and what the server learns from
//! it: the errors every operation can answer with (so no handler has to list them and none can
//! forget), and which methods each path allows (for 405 answers).

use actix_web::http::Method;
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    path::{Operation, ParameterIn},
};

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
    RefOr::T(ResponseBuilder::new().description(description).content("application/problem+json", content).build())
}

/// Adds the platform's error responses an operation can produce and does not yet list.
pub fn add_common_errors(api: &mut OpenApi) {
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
                add_to(operation, &method, in_path);
            }
        }
    }
}

fn add_to(op: &mut Operation, method: &Method, in_path: bool) {
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
        assert_eq!(table.allowed("/v1/products/abc"), Some(vec![Method::GET]));
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
