//! `auto` that measures: a few warm training steps of the run about to start, timed on each
//! candidate backend, and the faster one taken. A hardware adapter is not assumed to beat the CPU:
//! a dispatch-bound GPU path can lose to it on a small model (burn#3317, transformers.js#1750).
//!
//! The trial is the real training loop (`train`) on the first rows of the real training set, with
//! the run's strategy, batch size and sequence lengths, so the shapes are those about to be
//! trained. It uses a random head (no logistic-regression fit), no validation and one epoch; its
//! model is thrown away, and `train` re-seeds everything, so the run that follows is bit for bit
//! what it would have been without the trial.

use serde::{Deserialize, Serialize};
use web_time::Instant;

use crate::Result;
use crate::backend::BackendKind;
use crate::data::Dataset;
use crate::engine::Engine;

use super::config::{HeadInit, TrainConfig};
use super::progress::{Progress, TrainHost};
use super::strategy::Strategy;
use super::trainer::train;

/// Steps timed after the first (which pays for allocation and, on a GPU, shader compilation).
pub const TIMED_STEPS: usize = 3;

/// What one backend did in the trial.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepTiming {
    pub backend: BackendKind,
    /// A short name for the status line: "WebGPU", "wgpu/vulkan", "CPU 8 threads".
    pub label: String,
    /// Warm steps per second (the median step after the first); for `head` and `logreg`, whose
    /// cost is the embedding pass, steps over the whole trial's time.
    pub steps_per_sec: f64,
    pub batch_size: usize,
    /// Wall time of the whole trial on this backend: loading aside, cache fill and every step.
    pub seconds: f64,
    /// Whether every step ran; `false`: stopped at its time budget, and `steps_per_sec` is what
    /// it managed in that time (an upper bound).
    pub finished: bool,
}

impl StepTiming {
    fn describe(&self) -> String {
        if self.finished {
            format!("{} {:.2} steps/s", self.label, self.steps_per_sec)
        } else {
            format!(
                "{} under {:.2} steps/s (stopped after {:.1} s, past its time budget)",
                self.label,
                self.steps_per_sec.max(0.01),
                self.seconds
            )
        }
    }
}

/// The pick, with both figures in one sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrialChoice {
    pub backend: BackendKind,
    pub reason: String,
    pub timings: Vec<StepTiming>,
}

/// Takes the faster backend. A tie within 5 % goes to the CPU: it needs no GPU memory, and its
/// numbers are the ones the CPU tests pin.
pub fn choose(gpu: &StepTiming, cpu: &StepTiming) -> TrialChoice {
    let backend = if gpu.steps_per_sec > cpu.steps_per_sec * 1.05 {
        BackendKind::Wgpu
    } else {
        BackendKind::Cpu
    };
    let winner = if backend == BackendKind::Wgpu {
        &gpu.label
    } else {
        &cpu.label
    };
    TrialChoice {
        backend,
        reason: format!(
            "measured: {}, {} (batch {}): {winner}",
            gpu.describe(),
            cpu.describe(),
            gpu.batch_size.max(cpu.batch_size)
        ),
        timings: vec![gpu.clone(), cpu.clone()],
    }
}

/// Records when each training step ends, and stops the trial at its deadline.
struct StepClock {
    marks: Vec<Instant>,
    deadline: Option<Instant>,
}

impl TrainHost for StepClock {
    fn progress(&mut self, event: &Progress) {
        if let Progress::Step { .. } = event {
            self.marks.push(Instant::now());
        }
    }
    fn past_deadline(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Runs `1 + TIMED_STEPS` training steps of `config` on the first rows of `data` on `base`'s
/// device and times them. With `budget_seconds` the trial stops there (between steps): a backend
/// that has not finished by then is slower than the one that set the budget, and its rate is
/// the steps it managed over the time it took.
pub async fn time_steps(
    base: &Engine,
    data: &Dataset,
    config: &TrainConfig,
    backend: BackendKind,
    label: &str,
    budget_seconds: Option<f64>,
) -> Result<StepTiming> {
    let rows = (config.batch_size * (1 + TIMED_STEPS)).min(data.len());
    let subset = data.subset(&(0..rows).collect::<Vec<_>>());
    let mut trial = config.clone();
    // A logistic regression has no steps: its cost is the embedding pass, which `head` times too.
    if trial.strategy == Strategy::Logreg {
        trial.strategy = Strategy::Head;
    }
    trial.epochs = Some(1);
    trial.patience = Some(0);
    trial.head_init = HeadInit::Random;
    trial.search = false;
    trial.valid_fraction = 0.0;
    trial.notes.clear();
    let started = Instant::now();
    let mut clock = StepClock {
        marks: Vec::new(),
        deadline: budget_seconds.map(|s| started + std::time::Duration::from_secs_f64(s)),
    };
    let outcome = train(base, None, &subset, &data.subset(&[]), &trial, &mut clock).await;
    let seconds = started.elapsed().as_secs_f64();
    let abandoned = match outcome {
        Ok(_) => false,
        Err(_) if clock.past_deadline() => true,
        Err(e) => return Err(e),
    };
    let timing = |steps_per_sec: f64| StepTiming {
        backend,
        label: label.to_string(),
        steps_per_sec,
        batch_size: config.batch_size.min(rows),
        seconds,
        finished: !abandoned,
    };
    // Stopped at the budget: what it did in the time it had. A head's steps on cached embeddings
    // cost next to nothing and the embedding pass is the run's cost: the whole trial is the
    // measure there too.
    let over_the_trial = clock.marks.len() as f64 / seconds.max(1e-9);
    if abandoned || !trial.strategy.trains_encoder() {
        return Ok(timing(over_the_trial));
    }
    let mut steps: Vec<f64> = clock
        .marks
        .windows(2)
        .map(|w| w[1].duration_since(w[0]).as_secs_f64())
        .collect();
    steps.sort_by(f64::total_cmp);
    // One step only (a tiny file): the whole trial is the measure.
    let median = steps.get(steps.len() / 2).copied().unwrap_or(seconds);
    Ok(timing(1.0 / median.max(1e-9)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timing(backend: BackendKind, label: &str, steps_per_sec: f64) -> StepTiming {
        StepTiming {
            backend,
            label: label.into(),
            steps_per_sec,
            batch_size: 32,
            seconds: 1.0,
            finished: true,
        }
    }

    #[test]
    fn the_faster_backend_wins_and_both_figures_are_said() {
        let gpu = timing(BackendKind::Wgpu, "WebGPU", 2.3);
        let cpu = timing(BackendKind::Cpu, "CPU 8 threads", 0.9);
        let c = choose(&gpu, &cpu);
        assert_eq!(c.backend, BackendKind::Wgpu);
        assert_eq!(
            c.reason,
            "measured: WebGPU 2.30 steps/s, CPU 8 threads 0.90 steps/s (batch 32): WebGPU"
        );
        // A slow adapter (a software rasteriser, or a dispatch-bound path) loses.
        let c = choose(&timing(BackendKind::Wgpu, "wgpu/vulkan", 0.3), &cpu);
        assert_eq!(c.backend, BackendKind::Cpu);
        assert!(c.reason.ends_with(": CPU 8 threads"), "{}", c.reason);
        assert_eq!(c.timings.len(), 2);
        // One that ran out of its budget says so.
        let stopped = StepTiming {
            finished: false,
            steps_per_sec: 0.0,
            seconds: 5.0,
            ..timing(BackendKind::Wgpu, "wgpu/gl", 0.0)
        };
        let c = choose(&stopped, &cpu);
        assert_eq!(c.backend, BackendKind::Cpu);
        assert_eq!(
            c.reason,
            "measured: wgpu/gl under 0.01 steps/s (stopped after 5.0 s, past its time budget), CPU 8 threads 0.90 steps/s (batch 32): CPU 8 threads"
        );
    }

    #[test]
    fn a_near_tie_goes_to_the_cpu() {
        let cpu = timing(BackendKind::Cpu, "CPU", 1.0);
        assert_eq!(
            choose(&timing(BackendKind::Wgpu, "GPU", 1.04), &cpu).backend,
            BackendKind::Cpu
        );
        assert_eq!(
            choose(&timing(BackendKind::Wgpu, "GPU", 1.06), &cpu).backend,
            BackendKind::Wgpu
        );
    }
}
