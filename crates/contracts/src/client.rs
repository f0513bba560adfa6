//! Typed clients for the calls one service makes to another (feature `client`).

use std::time::Duration;

use domain::ProductId;

use crate::catalog::Product;

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

/// The catalog's public reads.
#[derive(Clone)]
pub struct CatalogClient {
    base_url: String,
    http: reqwest::Client,
}

impl CatalogClient {
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, reqwest::Error> {
        Ok(Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder().timeout(timeout).build()?,
        })
    }

    /// The product as catalog has it now (archived ones included); `None` if there is none.
    pub async fn product(&self, id: ProductId) -> Result<Option<Product>, ClientError> {
        const SERVICE: &str = "catalog";
        let response = self
            .http
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
}
