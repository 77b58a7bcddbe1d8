//! The stop escalation and the leftovers rule as a pure state machine: what to do to a
//! process group when something happens, on time passed in as a value.
//!
//! No tokio, no clock reads, no signals: the supervisor feeds it [`Event`]s stamped with the
//! time since spawn and carries out the [`Action`]s it returns. That keeps every rule about
//! SIGTERM, `stop_grace`, SIGKILL and leftovers testable on virtual time.

use std::time::Duration;

use super::StopLevel;

/// Something that happened to a supervised process, as its supervisor saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// A graceful stop was asked.
    StopAsked,
    /// A kill was asked.
    KillAsked,
    /// The kill timer fired.
    GraceExpired,
    /// The process itself exited.
    Exited,
    /// Once the pipes closed or their grace ended, living processes were left in the group.
    LeftoversFound,
    /// The leftovers were named in a warning.
    LeftoversNamed,
    /// No living process is left in the group.
    GroupEmpty,
    /// Everything of the process is reaped and read; the report is next.
    AllReaped,
}

impl Event {
    /// The event a stop level stands for, if any. A level that jumps straight to `Kill` is a
    /// kill only: the group never gets a SIGTERM first.
    pub(crate) fn asked(level: StopLevel) -> Option<Self> {
        match level {
            StopLevel::Running => None,
            StopLevel::Terminate => Some(Self::StopAsked),
            StopLevel::Kill => Some(Self::KillAsked),
        }
    }
}

/// What the supervisor must do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    /// SIGTERM to the group, told if it was delivered.
    Terminate,
    /// SIGKILL to the group, told if it was delivered; disarms the kill timer.
    Kill,
    /// The stop grace ran out: SIGKILL to the group, then tell the expiry, then the kill if it
    /// was delivered (signal first, so that a slow output never delays it); disarms the kill
    /// timer.
    KillAfterGrace,
    /// Fire [`Event::GraceExpired`] at this time since spawn.
    ArmKillTimer(Duration),
    /// Stop waiting for the pipes to close at this time since spawn.
    ArmPipeTimer(Duration),
    /// Look for the living processes in the group: warn about them and answer
    /// [`Event::LeftoversNamed`], or answer [`Event::GroupEmpty`] if none is left.
    NameLeftovers,
    /// Tell that the group we signalled is empty.
    TellGroupEmpty,
}

/// Where the process is in its life, as far as the escalation cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Running,
    Exited,
    NamingLeftovers,
    EndingLeftovers,
    GroupEmpty,
}

/// The escalation of one process.
#[derive(Debug, Clone)]
pub(crate) struct Escalation {
    stop_grace: Duration,
    pipe_grace: Duration,
    phase: Phase,
    asked: StopLevel,
    term_sent: bool,
    kill_sent: bool,
    kill_at: Option<Duration>,
    signalled_before_exit: bool,
}

impl Escalation {
    pub(crate) fn new(stop_grace: Duration, pipe_grace: Duration) -> Self {
        Self {
            stop_grace,
            pipe_grace,
            phase: Phase::Running,
            asked: StopLevel::Running,
            term_sent: false,
            kill_sent: false,
            kill_at: None,
            signalled_before_exit: false,
        }
    }

    /// What to do about `event`, which happened `now` after spawn.
    pub(crate) fn on(&mut self, event: Event, now: Duration) -> Vec<Action> {
        match event {
            Event::StopAsked => self.stop_asked(now),
            Event::KillAsked => self.kill_asked(),
            Event::GraceExpired => self.grace_expired(now),
            Event::Exited => self.exited(now),
            Event::LeftoversFound => self.leftovers_found(now),
            Event::LeftoversNamed => self.end_leftovers(now),
            Event::GroupEmpty => {
                self.phase = Phase::GroupEmpty;
                Vec::new()
            }
            Event::AllReaped if self.signalled() => vec![Action::TellGroupEmpty],
            Event::AllReaped => Vec::new(),
        }
    }

    /// The group was signalled before the process exited: its end is a stop's doing.
    pub(crate) fn signalled_before_exit(&self) -> bool {
        self.signalled_before_exit
    }

    /// `true` while leftovers are being ended and the group is not known empty yet.
    pub(crate) fn is_ending_leftovers(&self) -> bool {
        self.phase == Phase::EndingLeftovers
    }

    /// A stop only signals a running process: once it exited, what it left is dealt with when
    /// the pipes are done, as leftovers.
    fn stop_asked(&mut self, now: Duration) -> Vec<Action> {
        self.asked = self.asked.max(StopLevel::Terminate);
        if self.phase != Phase::Running || self.signalled() {
            Vec::new()
        } else if self.stop_grace.is_zero() {
            self.kill()
        } else {
            self.terminate(now)
        }
    }

    /// A kill skips what is left of a grace, the stop's or the leftovers'.
    fn kill_asked(&mut self) -> Vec<Action> {
        self.asked = StopLevel::Kill;
        let signalling = matches!(self.phase, Phase::Running | Phase::EndingLeftovers);
        if signalling && !self.kill_sent {
            self.kill()
        } else {
            Vec::new()
        }
    }

    fn grace_expired(&mut self, now: Duration) -> Vec<Action> {
        let signalling = matches!(self.phase, Phase::Running | Phase::EndingLeftovers);
        let due = self.kill_at.is_some_and(|at| now >= at);
        if signalling && due && !self.kill_sent {
            self.kill_sent = true;
            vec![Action::KillAfterGrace]
        } else {
            Vec::new()
        }
    }

    fn exited(&mut self, now: Duration) -> Vec<Action> {
        self.phase = Phase::Exited;
        self.signalled_before_exit = self.signalled();
        vec![Action::ArmPipeTimer(now.saturating_add(self.pipe_grace))]
    }

    /// Leftovers of a stop are part of that stop: they keep its grace and are not named.
    /// Others are named first, then ended as for a stop.
    fn leftovers_found(&mut self, now: Duration) -> Vec<Action> {
        if self.signalled() {
            self.end_leftovers(now)
        } else {
            self.phase = Phase::NamingLeftovers;
            vec![Action::NameLeftovers]
        }
    }

    /// SIGTERM, `stop_grace`, SIGKILL; SIGKILL at once when the grace is zero or a kill was
    /// asked.
    fn end_leftovers(&mut self, now: Duration) -> Vec<Action> {
        self.phase = Phase::EndingLeftovers;
        let graceful = self.asked != StopLevel::Kill && !self.stop_grace.is_zero();
        if self.kill_sent {
            Vec::new()
        } else if !graceful {
            self.kill()
        } else if self.term_sent {
            // The stop's kill timer is still armed.
            Vec::new()
        } else {
            self.terminate(now)
        }
    }

    fn terminate(&mut self, now: Duration) -> Vec<Action> {
        self.term_sent = true;
        let at = now.saturating_add(self.stop_grace);
        self.kill_at = Some(at);
        vec![Action::Terminate, Action::ArmKillTimer(at)]
    }

    fn kill(&mut self) -> Vec<Action> {
        self.kill_sent = true;
        vec![Action::Kill]
    }

    fn signalled(&self) -> bool {
        self.term_sent || self.kill_sent
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::Action::{
        ArmKillTimer, ArmPipeTimer, Kill, KillAfterGrace, NameLeftovers, TellGroupEmpty, Terminate,
    };
    use super::Event::{
        AllReaped, Exited, GraceExpired, GroupEmpty, KillAsked, LeftoversFound, LeftoversNamed,
        StopAsked,
    };
    use super::*;

    const STOP_GRACE: Duration = Duration::from_secs(5);
    const PIPE_GRACE: Duration = Duration::from_millis(500);

    fn ms(millis: u64) -> Duration {
        Duration::from_millis(millis)
    }

    /// One step: an event at a time since spawn (milliseconds), and what it must cause.
    type Step = (Event, u64, Vec<Action>);

    fn step(event: Event, at: u64, actions: &[Action]) -> Step {
        (event, at, actions.to_vec())
    }

    fn play(stop_grace: Duration, steps: &[Step]) -> Escalation {
        let mut escalation = Escalation::new(stop_grace, PIPE_GRACE);
        for (index, (event, at, expected)) in steps.iter().enumerate() {
            let actions = escalation.on(*event, ms(*at));
            assert_eq!(actions, *expected, "step {index}: {event:?} at {at} ms");
        }
        escalation
    }

    #[rstest]
    #[case::a_stop_terminates_then_kills_when_the_grace_expires(STOP_GRACE, vec![
        step(StopAsked, 100, &[Terminate, ArmKillTimer(ms(5100))]),
        step(GraceExpired, 5100, &[KillAfterGrace]),
        step(Exited, 5110, &[ArmPipeTimer(ms(5610))]),
        step(AllReaped, 5120, &[TellGroupEmpty]),
    ])]
    #[case::a_timer_that_fires_early_kills_nothing(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(GraceExpired, 4999, &[]),
        step(GraceExpired, 5000, &[KillAfterGrace]),
    ])]
    #[case::a_kill_during_the_grace_kills_at_once(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(KillAsked, 1000, &[Kill]),
        step(GraceExpired, 5000, &[]),
    ])]
    #[case::a_process_that_exits_within_the_grace_is_not_killed(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(Exited, 200, &[ArmPipeTimer(ms(700))]),
        step(AllReaped, 210, &[TellGroupEmpty]),
    ])]
    #[case::a_zero_stop_grace_kills_at_once(Duration::ZERO, vec![
        step(StopAsked, 0, &[Kill]),
        step(GraceExpired, 0, &[]),
    ])]
    #[case::a_second_stop_is_a_no_op(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(StopAsked, 10, &[]),
    ])]
    #[case::a_stop_after_a_kill_is_a_no_op(STOP_GRACE, vec![
        step(KillAsked, 0, &[Kill]),
        step(StopAsked, 10, &[]),
        step(KillAsked, 20, &[]),
    ])]
    #[case::a_clean_exit_signals_nothing(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(AllReaped, 1010, &[]),
    ])]
    #[case::leftovers_after_exit_are_named_then_ended_as_for_a_stop(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(LeftoversFound, 1500, &[NameLeftovers]),
        step(LeftoversNamed, 1500, &[Terminate, ArmKillTimer(ms(6500))]),
        step(GraceExpired, 6500, &[KillAfterGrace]),
        step(GroupEmpty, 6510, &[]),
        step(AllReaped, 6520, &[TellGroupEmpty]),
    ])]
    #[case::leftovers_that_end_within_their_grace_are_not_killed(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(LeftoversFound, 1500, &[NameLeftovers]),
        step(LeftoversNamed, 1500, &[Terminate, ArmKillTimer(ms(6500))]),
        step(GroupEmpty, 2000, &[]),
        step(AllReaped, 2010, &[TellGroupEmpty]),
    ])]
    #[case::leftovers_gone_before_they_are_named_are_not_signalled(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(LeftoversFound, 1500, &[NameLeftovers]),
        step(GroupEmpty, 1500, &[]),
        step(AllReaped, 1510, &[]),
    ])]
    #[case::leftovers_with_a_zero_stop_grace_are_killed_at_once(Duration::ZERO, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(LeftoversFound, 1500, &[NameLeftovers]),
        step(LeftoversNamed, 1500, &[Kill]),
        step(GroupEmpty, 1510, &[]),
        step(AllReaped, 1520, &[TellGroupEmpty]),
    ])]
    #[case::a_kill_during_the_leftovers_grace_kills_at_once(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(LeftoversFound, 1500, &[NameLeftovers]),
        step(LeftoversNamed, 1500, &[Terminate, ArmKillTimer(ms(6500))]),
        step(KillAsked, 2000, &[Kill]),
        step(GraceExpired, 6500, &[]),
    ])]
    #[case::a_stop_after_exit_signals_nothing_until_leftovers_are_found(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(StopAsked, 1100, &[]),
        step(LeftoversFound, 1100, &[NameLeftovers]),
        step(LeftoversNamed, 1100, &[Terminate, ArmKillTimer(ms(6100))]),
    ])]
    #[case::a_kill_after_exit_kills_the_leftovers_without_a_grace(STOP_GRACE, vec![
        step(Exited, 1000, &[ArmPipeTimer(ms(1500))]),
        step(KillAsked, 1100, &[]),
        step(LeftoversFound, 1100, &[NameLeftovers]),
        step(LeftoversNamed, 1100, &[Kill]),
    ])]
    #[case::a_stopped_process_s_leftovers_keep_the_stop_s_grace(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(Exited, 100, &[ArmPipeTimer(ms(600))]),
        step(LeftoversFound, 600, &[]),
        step(GraceExpired, 5000, &[KillAfterGrace]),
        step(GroupEmpty, 5010, &[]),
        step(AllReaped, 5020, &[TellGroupEmpty]),
    ])]
    #[case::a_killed_process_s_leftovers_are_not_signalled_again(STOP_GRACE, vec![
        step(KillAsked, 0, &[Kill]),
        step(Exited, 10, &[ArmPipeTimer(ms(510))]),
        step(LeftoversFound, 510, &[]),
        step(KillAsked, 520, &[]),
        step(GroupEmpty, 530, &[]),
        step(AllReaped, 540, &[TellGroupEmpty]),
    ])]
    #[case::a_stop_during_a_stopped_process_s_leftovers_is_a_no_op(STOP_GRACE, vec![
        step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))]),
        step(Exited, 100, &[ArmPipeTimer(ms(600))]),
        step(LeftoversFound, 600, &[]),
        step(StopAsked, 700, &[]),
        step(KillAsked, 800, &[Kill]),
    ])]
    fn escalates(#[case] stop_grace: Duration, #[case] steps: Vec<Step>) {
        play(stop_grace, &steps);
    }

    #[rstest]
    #[case::stopped_before_exit(vec![step(StopAsked, 0, &[Terminate, ArmKillTimer(ms(5000))])], true)]
    #[case::killed_before_exit(vec![step(KillAsked, 0, &[Kill])], true)]
    #[case::not_stopped(vec![], false)]
    fn only_signals_sent_before_the_exit_make_it_a_stop(
        #[case] before_exit: Vec<Step>,
        #[case] signalled: bool,
    ) {
        let mut escalation = play(STOP_GRACE, &before_exit);
        escalation.on(Exited, ms(1000));
        assert_eq!(escalation.signalled_before_exit(), signalled);
        // Leftovers ended after the exit do not turn the exit into a stop.
        escalation.on(LeftoversFound, ms(1500));
        escalation.on(LeftoversNamed, ms(1500));
        assert_eq!(escalation.signalled_before_exit(), signalled);
    }

    #[test]
    fn a_huge_grace_arms_timers_far_away_instead_of_overflowing() {
        let mut escalation = Escalation::new(Duration::MAX, Duration::MAX);
        assert_eq!(
            escalation.on(StopAsked, ms(1)),
            [Terminate, ArmKillTimer(Duration::MAX)]
        );
        assert_eq!(escalation.on(GraceExpired, ms(2)), []);
        assert_eq!(escalation.on(Exited, ms(3)), [ArmPipeTimer(Duration::MAX)]);
    }

    #[test]
    fn leftovers_are_being_ended_until_the_group_is_empty() {
        let mut escalation = Escalation::new(STOP_GRACE, PIPE_GRACE);
        escalation.on(Exited, ms(0));
        assert!(!escalation.is_ending_leftovers());
        escalation.on(LeftoversFound, ms(500));
        assert!(!escalation.is_ending_leftovers(), "naming them first");
        escalation.on(LeftoversNamed, ms(500));
        assert!(escalation.is_ending_leftovers());
        escalation.on(GroupEmpty, ms(600));
        assert!(!escalation.is_ending_leftovers());
    }
}
