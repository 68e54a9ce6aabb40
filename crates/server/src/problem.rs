//! RFC 9457 problem documents: every refusal the API gives.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tillit_store::StoreError;

/// A problem: `application/problem+json` with a short title that names
/// the kind of problem and a detail that says what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, kind: &str, title: &str, detail: impl Into<String>) -> Problem {
        Problem {
            kind: format!("https://tillit.example/problems/{kind}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// 503, with `Retry-After`: the ledger cannot be reached now.
    pub fn unavailable(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The ledger is unavailable",
            detail,
        )
    }

    pub fn unauthorized(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "No valid token",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This role has no need to know",
            detail,
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request is malformed",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Problem {
        Problem::new(StatusCode::NOT_FOUND, "not-found", "No such thing", detail)
    }

    pub fn internal(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The service failed",
            detail,
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Problem {
        match &e {
            StoreError::NoSuchSubject(_)
            | StoreError::NoSuch { .. }
            | StoreError::NoSuchRequest(_)
            | StoreError::NoSuchToken(_) => Problem::not_found(e.to_string()),
            StoreError::SubjectExists(_)
            | StoreError::IdentifierTaken { .. }
            | StoreError::RequestClosed(_)
            | StoreError::Unverified(_) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "The ledger's state forbids this",
                e.to_string(),
            ),
            StoreError::OutOfRange(_) => Problem::bad_request(e.to_string()),
            // The database is down or restarting, or every connection is
            // busy: come back shortly.
            StoreError::Unavailable(_) | StoreError::Connect { .. } => {
                tracing::warn!(error = %e, "ledger unavailable");
                Problem::unavailable(
                    "the ledger's database cannot be reached just now; try again shortly",
                )
            }
            StoreError::Input(_)
            | StoreError::SubjectErased { .. }
            | StoreError::WrongKind { .. }
            | StoreError::ExtensionRefused { .. } => Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "refused",
                "The ledger refuses this",
                e.to_string(),
            ),
            // What a database failure says stays in the server's log.
            _ => {
                tracing::error!(error = %e, "ledger failure");
                Problem::internal("the ledger could not be read or written; see the server's log")
            }
        }
    }
}
