//! The ports the execution session is driven through, and the service that drives them.
//!
//! [`ExecutionSession`] is written only against the traits here ([`RunPortsFactory`], which
//! gives each run its [`ShipperSource`] and [`RuntimeSource`], [`LogSink`], [`Clock`]); the adapters implement them over real processes
//! and sockets. Nothing in this crate spawns a process, opens a file or a socket, or handles a
//! signal.
#![warn(missing_docs)]

mod clock;
mod execution;
mod output;
mod owner;
mod run_ports;
mod runtime;
mod settings;
mod shared;
mod shipper;
mod sink;
mod sink_task;
mod subscription;

#[cfg(any(test, feature = "mocks"))]
pub mod fakes;

#[cfg(test)]
mod service_tests;

pub use clock::{Clock, ManualClock, SystemClock};
pub use execution::{
    ExecutionSession, KillOutcome, PlayOutcome, Ports, ServiceSettings, SessionClosed, StopOutcome,
};
pub use output::{OutputClosed, OutputReceiver, OutputSender, PortOutput, output_channel};
pub use run_ports::{PlayRequest, RunPorts, RunPortsFactory, SettingsRejected};
pub use runtime::{RunningRuntime, RuntimeSource};
pub use settings::{
    DurationSetting, InvalidSetting, MAX_DURATION, MAX_SIZE, SettingValueError, SizeSetting,
};
pub use shipper::{RunningPreparation, ShipperSource};
pub use sink::{LogSink, SinkError, SinkFailureReport};
pub use subscription::{Subscription, SubscriptionItem};

#[cfg(any(test, feature = "mocks"))]
pub use run_ports::MockRunPortsFactory;
#[cfg(any(test, feature = "mocks"))]
pub use runtime::{MockRunningRuntime, MockRuntimeSource};
#[cfg(any(test, feature = "mocks"))]
pub use shipper::{MockRunningPreparation, MockShipperSource};
#[cfg(any(test, feature = "mocks"))]
pub use sink::MockLogSink;
