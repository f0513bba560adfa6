//! Typed clients for the calls one service makes to another (feature `client`).

use std::{sync::Arc, time::Duration};

use domain::{ProductId, ProductKind, SupplierId};

use crate::catalog::{Product, ProductPage};

/// Why a call to another service did not give an answer to use.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{service} is unreachable: {cause}")]
    Unreachable { service: &'static str, cause: String },
    #[error("{service} answered {status}")]
    Status { service: &'static str, status: u16 },
    #[error("{service}'s answer is unreadable: {cause}")]
    Unreadable { service: &'static str, cause: String },
}

/// A bearer token for each call, or none.
pub type Bearer = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// The catalog's public reads, made with a service token when one is given, so that a busy
/// service is not held to the limits of an anonymous caller at its address.
#[derive(Clone)]
pub struct CatalogClient {
    base_url: String,
    http: reqwest::Client,
    bearer: Option<Bearer>,
}

impl CatalogClient {
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
            bearer: None,
        })
    }

    /// Calls with the token `bearer` gives.
    #[must_use]
    pub fn with_bearer(self, bearer: Bearer) -> Self {
        Self { bearer: Some(bearer), ..self }
    }

    fn get(&self, url: String) -> reqwest::RequestBuilder {
        let request = self.http.get(url);
        match self.bearer.as_ref().and_then(|b| b()) {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The product as catalog has it now (archived ones included); `None` if there is none.
    pub async fn product(&self, id: ProductId) -> Result<Option<Product>, ClientError> {
        const SERVICE: &str = "catalog";
        let response = self
            .get(format!("{}/v1/products/{id}", self.base_url))
            .send()
            .await
            .map_err(|e| ClientError::Unreachable { service: SERVICE, cause: e.to_string() })?;
        match response.status().as_u16() {
            200 => response
                .json()
                .await
                .map(Some)
                .map_err(|e| ClientError::Unreadable { service: SERVICE, cause: e.to_string() }),
            404 => Ok(None),
            status => Err(ClientError::Status { service: SERVICE, status }),
        }
    }

    /// A supplier's listed products of `kind`, every page (at most [`MAX_PAGES`] of 200).
    pub async fn products_of(&self, supplier: SupplierId, kind: ProductKind) -> Result<Vec<Product>, ClientError> {
        const SERVICE: &str = "catalog";
        let mut products = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("supplier_id", supplier.to_string()),
                ("kind", kind.as_str().to_owned()),
                ("limit", "200".to_owned()),
            ];
            query.extend(cursor.take().map(|c| ("cursor", c)));
            let response = self
                .get(format!("{}/v1/products", self.base_url))
                .query(&query)
                .send()
                .await
                .map_err(|e| ClientError::Unreachable { service: SERVICE, cause: e.to_string() })?;
            if !response.status().is_success() {
                return Err(ClientError::Status { service: SERVICE, status: response.status().as_u16() });
            }
            let page: ProductPage = response
                .json()
                .await
                .map_err(|e| ClientError::Unreadable { service: SERVICE, cause: e.to_string() })?;
            products.extend(page.items);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(products)
    }
}

/// The most pages of a list a client reads.
pub const MAX_PAGES: usize = 20;
