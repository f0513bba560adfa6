//! Storefronts' webhook endpoints (PRODUCT.md G9): every group event goes, signed with Standard
//! Webhooks, to the endpoints that follow the group (or every group), through the outbox in the
//! transaction that records the event.

use chrono::NaiveDateTime;
use contracts::groups::{GroupEvent, HistoryPoint, WebhookEndpoint};
use diesel::prelude::*;
use domain::GroupId;
use platform::{
    db::{DbConnection, DbError, StoreError, Stored},
    outbox::{self, Endpoint},
};

use crate::db::schema::webhook_endpoints as endpoints;

/// Outbox targets name an endpoint as `endpoint:<id>`.
const TARGET_PREFIX: &str = "endpoint:";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = endpoints)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub secret: String,
    pub group_id: Option<Stored<GroupId>>,
    pub created_at: NaiveDateTime,
}

impl EndpointRow {
    pub fn to_dto(&self) -> WebhookEndpoint {
        WebhookEndpoint {
            id: self.id.clone(),
            url: self.url.clone(),
            group_id: self.group_id.map(|g| g.0),
            created_at: self.created_at.and_utc(),
        }
    }
}

pub fn insert(conn: &mut DbConnection, row: &EndpointRow) -> Result<(), StoreError> {
    diesel::insert_into(endpoints::table).values(row).execute(conn)?;
    Ok(())
}

pub fn list(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> Result<Vec<EndpointRow>, StoreError> {
    let mut query =
        endpoints::table.order(endpoints::id.asc()).limit(limit).select(EndpointRow::as_select()).into_boxed();
    if let Some(after) = after {
        query = query.filter(endpoints::id.gt(after.to_owned()));
    }
    Ok(query.load(conn)?)
}

/// Removes an endpoint; false if there was none. Events already queued for it fail and end as
/// dead letters the operator can see.
pub fn delete(conn: &mut DbConnection, id: &str) -> Result<bool, StoreError> {
    Ok(diesel::delete(endpoints::table.find(id)).execute(conn)? == 1)
}

/// Queues `points` for every endpoint following `group`, each as `group.<kind>`.
pub fn notify(conn: &mut DbConnection, group: GroupId, points: Vec<HistoryPoint>) -> Result<(), StoreError> {
    let following: Vec<String> = endpoints::table
        .filter(endpoints::group_id.is_null().or(endpoints::group_id.eq(Stored(group))))
        .select(endpoints::id)
        .load(conn)?;
    if following.is_empty() {
        return Ok(());
    }
    let deliveries = points.into_iter().flat_map(|point| {
        following.iter().map(move |id| {
            let event_type = format!("group.{}", point.kind);
            let (target, lane) = (Some(format!("{TARGET_PREFIX}{id}")), Some(group.to_string()));
            (target, lane, event_type, GroupEvent { group_id: group, point: point.clone() })
        })
    });
    outbox::enqueue_all(conn, deliveries)?;
    Ok(())
}

/// Resolves an outbox target to its endpoint's URL and secret.
pub fn resolve(conn: &mut DbConnection, target: &str) -> Result<Option<Endpoint>, DbError> {
    let Some(id) = target.strip_prefix(TARGET_PREFIX) else { return Ok(None) };
    let found: Option<(String, String)> =
        endpoints::table.find(id).select((endpoints::url, endpoints::secret)).first(conn).optional()?;
    Ok(found.map(|(url, secret)| Endpoint { url, secret }))
}
