//! Shipments and their events (PRODUCT.md S2, S3). Every change is a guarded update on the state
//! and the event count, so events are numbered 1, 2, 3 … without gaps or repeats, whoever reports.

use chrono::NaiveDateTime;
use contracts::shipping::{NewShipmentEvent, Shipment, ShipmentEvent, ShipmentSummary};
use diesel::prelude::*;
use domain::{GroupId, ShipmentId, ShippingBaseId, SupplierId, shipment::ShipmentState};
use platform::{
    ApiError,
    db::{DbConnection, StoreError, Stored},
};

use super::schema::{base_webhook_messages, shipment_events, shipments};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipments)]
pub struct ShipmentRow {
    pub id: Stored<ShipmentId>,
    pub purchase_id: String,
    pub group_id: Stored<GroupId>,
    pub member: String,
    pub supplier_id: Stored<SupplierId>,
    pub base_id: Stored<ShippingBaseId>,
    pub recipient: String,
    pub items: String,
    pub state: Stored<ShipmentState>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub event_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = shipment_events)]
pub struct EventRow {
    pub shipment_id: Stored<ShipmentId>,
    pub sequence: i64,
    pub state: Stored<ShipmentState>,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub note: Option<String>,
    pub source: String,
    pub recorded_at: NaiveDateTime,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(anyhow::anyhow!("stored shipment unreadable: {e}"))
}

impl ShipmentRow {
    pub fn to_dto(&self) -> Result<Shipment, StoreError> {
        Ok(Shipment {
            id: self.id.0,
            purchase_id: self.purchase_id.clone(),
            group_id: self.group_id.0,
            member: self.member.clone(),
            supplier_id: self.supplier_id.0,
            base_id: self.base_id.0,
            state: self.state.0,
            tracking_number: self.tracking_number.clone(),
            carrier: self.carrier.clone(),
            recipient: serde_json::from_str(&self.recipient).map_err(corrupt)?,
            items: serde_json::from_str(&self.items).map_err(corrupt)?,
            created_at: self.created_at.and_utc(),
            updated_at: self.updated_at.and_utc(),
        })
    }

    /// What groups is told: everything but the recipient's address.
    pub fn summary(&self) -> Result<ShipmentSummary, StoreError> {
        Ok(self.to_dto()?.into())
    }
}

impl EventRow {
    pub fn to_dto(&self) -> ShipmentEvent {
        ShipmentEvent {
            sequence: self.sequence,
            state: self.state.0,
            tracking_number: self.tracking_number.clone(),
            carrier: self.carrier.clone(),
            note: self.note.clone(),
            source: self.source.clone(),
            recorded_at: self.recorded_at.and_utc(),
        }
    }
}

/// Stores a new shipment with its first event, `requested`.
pub fn insert(conn: &mut DbConnection, row: &ShipmentRow) -> Result<(), StoreError> {
    diesel::insert_into(shipments::table).values(row).execute(conn)?;
    let first = EventRow {
        shipment_id: row.id,
        sequence: 1,
        state: row.state,
        tracking_number: None,
        carrier: None,
        note: None,
        source: "request".to_owned(),
        recorded_at: row.created_at,
    };
    diesel::insert_into(shipment_events::table).values(&first).execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConnection, id: ShipmentId) -> Result<Option<ShipmentRow>, StoreError> {
    Ok(shipments::table.find(Stored(id)).select(ShipmentRow::as_select()).first(conn).optional()?)
}

/// The shipment, or a 404 problem.
pub fn get(conn: &mut DbConnection, id: ShipmentId) -> Result<ShipmentRow, ApiError> {
    find(conn, id)?.ok_or_else(|| ApiError::not_found(format!("shipment {id}")))
}

pub fn find_by_purchase(conn: &mut DbConnection, purchase_id: &str) -> Result<Option<ShipmentRow>, StoreError> {
    Ok(shipments::table
        .filter(shipments::purchase_id.eq(purchase_id))
        .select(ShipmentRow::as_select())
        .first(conn)
        .optional()?)
}

/// `GET /v1/shipments` filters.
#[derive(Debug, Default, Clone)]
pub struct ShipmentFilter {
    pub group_id: Option<GroupId>,
    pub base_id: Option<ShippingBaseId>,
    pub state: Option<ShipmentState>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &ShipmentFilter,
    after: Option<ShipmentId>,
    limit: i64,
) -> Result<Vec<ShipmentRow>, StoreError> {
    let mut query =
        shipments::table.order(shipments::id.asc()).limit(limit).select(ShipmentRow::as_select()).into_boxed();
    if let Some(group) = filter.group_id {
        query = query.filter(shipments::group_id.eq(Stored(group)));
    }
    if let Some(base) = filter.base_id {
        query = query.filter(shipments::base_id.eq(Stored(base)));
    }
    if let Some(state) = filter.state {
        query = query.filter(shipments::state.eq(Stored(state)));
    }
    if let Some(after) = after {
        query = query.filter(shipments::id.gt(Stored(after)));
    }
    Ok(query.load(conn)?)
}

/// Moves `current` to the reported state and records the event; refuses a move backwards, and a
/// dispatch without tracking number and carrier.
pub fn record_event(
    conn: &mut DbConnection,
    current: &ShipmentRow,
    report: &NewShipmentEvent,
    source: &str,
) -> Result<ShipmentRow, ApiError> {
    let from = current.state.0;
    if !from.can_move_to(report.state) {
        return Err(ApiError::conflict(format!(
            "a shipment that is {} cannot become {}",
            from.as_str(),
            report.state.as_str()
        )));
    }
    let tracking = report.tracking_number.as_ref().map(|t| t.to_string()).or(current.tracking_number.clone());
    let carrier = report.carrier.as_ref().map(|c| c.to_string()).or(current.carrier.clone());
    if report.state.needs_tracking() && (tracking.is_none() || carrier.is_none()) {
        return Err(ApiError::invalid_field("tracking_number", "dispatching needs a tracking number and a carrier"));
    }
    let now = platform::db::now();
    let next = ShipmentRow {
        state: report.state.into(),
        tracking_number: tracking,
        carrier,
        event_count: current.event_count + 1,
        updated_at: now,
        ..current.clone()
    };
    let moved = diesel::update(
        shipments::table
            .find(current.id)
            .filter(shipments::state.eq(current.state))
            .filter(shipments::event_count.eq(current.event_count)),
    )
    .set((
        shipments::state.eq(next.state),
        shipments::tracking_number.eq(&next.tracking_number),
        shipments::carrier.eq(&next.carrier),
        shipments::event_count.eq(next.event_count),
        shipments::updated_at.eq(now),
    ))
    .execute(conn)
    .map_err(StoreError::from)?;
    if moved == 0 {
        return Err(ApiError::conflict("the shipment changed meanwhile; read it and retry"));
    }
    let event = EventRow {
        shipment_id: current.id,
        sequence: next.event_count,
        state: next.state,
        tracking_number: report.tracking_number.as_ref().map(|t| t.to_string()),
        carrier: report.carrier.as_ref().map(|c| c.to_string()),
        note: report.note.as_ref().map(|n| n.to_string()),
        source: source.to_owned(),
        recorded_at: now,
    };
    diesel::insert_into(shipment_events::table).values(&event).execute(conn).map_err(StoreError::from)?;
    Ok(next)
}

pub fn events(conn: &mut DbConnection, id: ShipmentId) -> Result<Vec<EventRow>, StoreError> {
    Ok(shipment_events::table
        .filter(shipment_events::shipment_id.eq(Stored(id)))
        .order(shipment_events::sequence.asc())
        .select(EventRow::as_select())
        .load(conn)?)
}

/// Notes a base's webhook message id; false if it was seen before.
pub fn first_delivery(conn: &mut DbConnection, base_id: &str, message_id: &str) -> Result<bool, StoreError> {
    Ok(platform::db::insert_if_new(conn, |conn| {
        diesel::insert_into(base_webhook_messages::table)
            .values((
                base_webhook_messages::base_id.eq(base_id),
                base_webhook_messages::message_id.eq(message_id),
                base_webhook_messages::received_at.eq(platform::db::now()),
            ))
            .execute(conn)
    })?)
}
