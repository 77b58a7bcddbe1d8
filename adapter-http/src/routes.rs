//! The endpoints that answer at once: the snapshot, play, stop, kill, shutdown, the OpenAPI
//! document, and the problems for what matches no route.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use session_domain::RunGoal;
use session_ports::{KillOutcome, PlayOutcome, PlayRequest, SessionClosed, StopOutcome};

use serde::de::DeserializeOwned;

use crate::api_types::{Outcome, PlayBody, SessionView, StopBody};
use crate::problem::Problem;
use crate::state::ApiState;

/// The OpenAPI document, kept in the repository and tested against the server.
pub(crate) const OPENAPI: &str = include_str!("../../docs/openapi.json");

pub(crate) async fn session(State(state): State<ApiState>) -> Json<SessionView> {
    let context = &state.context;
    Json(SessionView::new(
        context.session.snapshot(),
        context.id.to_string(),
        context.project.clone(),
    ))
}

pub(crate) async fn play(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body: PlayBody = json_body(
        body,
        "{\"goal\":\"play\"|\"prepare\",\"mode\":\"run\"|\"debug\"}",
    )?;
    let request = PlayRequest {
        goal: body.goal.map_or(RunGoal::Play, RunGoal::from),
        mode: body.mode.map(Into::into),
    };
    let outcome = state.context.session.play(request).await.map_err(closed)?;
    Ok(match outcome {
        PlayOutcome::Started { run } => (
            StatusCode::ACCEPTED,
            Json(Outcome {
                run: Some(run),
                ..Outcome::just("started")
            }),
        )
            .into_response(),
        PlayOutcome::Ignored { state } => Json(Outcome {
            state: Some(state.as_str()),
            ..Outcome::just("ignored")
        })
        .into_response(),
        PlayOutcome::Refused { reason } => Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-configuration",
            "The configuration is invalid",
            reason.message(),
        )
        .into_response(),
    })
}

pub(crate) async fn stop(
    State(state): State<ApiState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Outcome>, Problem> {
    let body: StopBody = json_body(body, "{\"reason\":\"<one line>\"}")?;
    let reason = match body.reason {
        None => "stop asked over the API".to_owned(),
        Some(reason) if is_one_short_line(&reason) => reason,
        Some(_) => {
            return Err(Problem::bad_request(format!(
                "the reason is not one line of 1 to {REASON_CHARS} characters without control characters"
            )));
        }
    };
    let outcome = state.context.session.stop(reason).await.map_err(closed)?;
    Ok(Json(Outcome::just(match outcome {
        StopOutcome::Requested => "requested",
        StopOutcome::AlreadyStopping => "already_stopping",
        StopOutcome::NothingToStop => "nothing_to_stop",
    })))
}

pub(crate) async fn kill(State(state): State<ApiState>) -> Result<Json<Outcome>, Problem> {
    let outcome = state.context.session.kill_now().await.map_err(closed)?;
    Ok(Json(Outcome::just(match outcome {
        KillOutcome::Killing => "killing",
        KillOutcome::NothingToKill => "nothing_to_kill",
    })))
}

pub(crate) async fn shutdown(State(state): State<ApiState>) -> impl IntoResponse {
    state.context.request_shutdown();
    (StatusCode::ACCEPTED, Json(Outcome::just("shutting_down")))
}

pub(crate) async fn openapi() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI)
}

pub(crate) async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "not-found",
        "Not found",
        "no such endpoint; GET /openapi.json lists them",
    )
}

pub(crate) async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not take that method; GET /openapi.json lists them",
    )
}

/// A stop's reason shows in a lifecycle line: one short line.
const REASON_CHARS: usize = 200;

fn is_one_short_line(reason: &str) -> bool {
    let count = reason.chars().count();
    (1..=REASON_CHARS).contains(&count) && !reason.chars().any(char::is_control)
}

/// An optional JSON body: empty is the default; anything else must be exactly `shape`.
fn json_body<T: Default + DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
    shape: &str,
) -> Result<T, Problem> {
    let body = body.map_err(|rejection| {
        let status = rejection.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(
                status,
                "too-large",
                "Request body too large",
                format!("the body is over 64 KiB; send at most {shape}"),
            )
        } else {
            Problem::bad_request(rejection.body_text())
        }
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&body)
        .map_err(|error| Problem::bad_request(format!("the body is not {shape}: {error}")))
}

fn closed(_: SessionClosed) -> Problem {
    Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "shutting-down",
        "The session is shutting down",
        "the server is shutting down; start it again to play",
    )
}
