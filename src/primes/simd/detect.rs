//! Which vector path the simd kernel takes on this CPU ([`SimdPath`]), and
//! where it takes it, stage by stage ([`SimdPlan`]): what the CPU has,
//! capped by `RUNNER_SIMD`, and what the calibration before any timer found
//! faster than the scalar kernel (`work::calibrate`).

use std::sync::OnceLock;

/// Where the block test runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SimdPath {
    /// The scalar fast kernel, one candidate at a time.
    Scalar,
    /// 256-bit vectors: 8 candidates of n < 2^32, 4 of larger n.
    Avx2,
    /// 512-bit vectors: 16 candidates of n < 2^32, 8 of larger n.
    Avx512,
}

impl SimdPath {
    /// Every path, slowest first.
    pub const ALL: [SimdPath; 3] = [SimdPath::Scalar, SimdPath::Avx2, SimdPath::Avx512];

    /// The name written in manifests, CSV files and `RUNNER_SIMD`.
    pub fn name(self) -> &'static str {
        match self {
            SimdPath::Scalar => "scalar",
            SimdPath::Avx2 => "avx2",
            SimdPath::Avx512 => "avx512",
        }
    }

    /// The path named `name` (as [`SimdPath::name`] writes it).
    pub fn parse(name: &str) -> Option<SimdPath> {
        SimdPath::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether this CPU can run the path.
    pub fn available(self) -> bool {
        match self {
            SimdPath::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            SimdPath::Avx512 => std::arch::is_x86_feature_detected!("avx512f"),
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best path this CPU has, at most the one `RUNNER_SIMD` names (an
    /// unknown name is ignored). Detected once per process.
    pub fn detect() -> SimdPath {
        static DETECTED: OnceLock<SimdPath> = OnceLock::new();
        *DETECTED.get_or_init(|| {
            let cap = std::env::var("RUNNER_SIMD")
                .ok()
                .and_then(|v| SimdPath::parse(v.trim()))
                .unwrap_or(SimdPath::Avx512);
            SimdPath::best_up_to(cap)
        })
    }

    /// The best path this CPU has, at most `cap`.
    pub fn best_up_to(cap: SimdPath) -> SimdPath {
        SimdPath::ALL
            .into_iter()
            .rev()
            .find(|p| *p <= cap && p.available())
            .unwrap_or(SimdPath::Scalar)
    }
}

impl std::fmt::Display for SimdPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// How the simd kernel tests 2^32 <= n < 2^52 against the table's
/// candidates (range E, and every n up to 4.5e15; issue 23). The doubles
/// and IFMA are derived in `simd/wide.rs`, the halves in `simd/mod.rs`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum WideTest {
    /// The scalar fast kernel.
    Scalar,
    /// The 32-bit halves, as for n >= 2^52: four 32x32 -> 64-bit multiplies
    /// per lane (what runner did before issue 23, hence the default for
    /// manifests from before).
    #[default]
    Halves,
    /// Doubles: q = round(n·(1/d)) with 1/d from the table, and d | n
    /// exactly when n - q·d (one fused multiply-add) is 0. AVX2 with FMA,
    /// or AVX-512F.
    Double,
    /// 52-bit integer multiplies (AVX-512 IFMA, `vpmadd52luq` and
    /// `vpmadd52huq`): q = n·inv(d) mod 2^52, and d | n exactly when q·d has
    /// no bits from 2^52 up.
    Ifma,
}

impl WideTest {
    /// Every test, the scalar one first, the one `path` takes uncalibrated
    /// last ([`WideTest::best_on`]).
    pub const ALL: [WideTest; 4] = [
        WideTest::Scalar,
        WideTest::Halves,
        WideTest::Double,
        WideTest::Ifma,
    ];

    /// The name in manifests and in the `kernel_path` column.
    pub fn name(self) -> &'static str {
        match self {
            WideTest::Scalar => "scalar",
            WideTest::Halves => "halves",
            WideTest::Double => "f64",
            WideTest::Ifma => "ifma",
        }
    }

    /// Whether this CPU can run this test on `path`'s vectors.
    pub fn available_on(self, path: SimdPath) -> bool {
        path.available()
            && match (self, path) {
                (WideTest::Scalar, _) => true,
                (_, SimdPath::Scalar) => false,
                (WideTest::Halves, _) => true,
                #[cfg(target_arch = "x86_64")]
                (WideTest::Double, SimdPath::Avx2) => std::arch::is_x86_feature_detected!("fma"),
                (WideTest::Double, SimdPath::Avx512) => true,
                #[cfg(target_arch = "x86_64")]
                (WideTest::Ifma, SimdPath::Avx512) => {
                    std::arch::is_x86_feature_detected!("avx512ifma")
                }
                _ => false,
            }
    }

    /// The test `path` takes when nothing was calibrated: IFMA where the
    /// CPU has it, else doubles, else the halves (the scalar kernel on the
    /// scalar path).
    pub fn best_on(path: SimdPath) -> WideTest {
        WideTest::ALL
            .into_iter()
            .rev()
            .find(|t| t.available_on(path))
            .unwrap_or(WideTest::Scalar)
    }
}

/// Where the vector path is taken, per kind of work: each stage runs on
/// vector lanes only where it beats the scalar kernel on this CPU (issue 15:
/// the vector path must not be taken where it loses). Chosen by a short
/// calibration before any timer (`work::calibrate`); every stage on for a
/// path forced in code ([`super::SimdTester::with_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct SimdPlan {
    /// The instruction set.
    #[serde(with = "path_name")]
    pub path: SimdPath,
    /// n < 2^32, candidates from the table: 32-bit lanes.
    pub small: bool,
    /// 2^32 <= n < 2^52, candidates from the table: 64-bit lanes by one of
    /// three tests, or the scalar kernel (issue 23).
    #[serde(default)]
    pub wide: WideTest,
    /// n >= 2^52, candidates from the table: 64-bit lanes, 32-bit halves,
    /// inverses loaded.
    pub table: bool,
    /// Candidates beyond the table: 64-bit lanes, inverses on the fly.
    pub fly: bool,
}

impl SimdPlan {
    /// Every stage on `path` (the best wide test it has).
    pub fn all(path: SimdPath) -> SimdPlan {
        SimdPlan {
            path,
            small: true,
            wide: WideTest::best_on(path),
            table: true,
            fly: true,
        }
    }

    /// This plan, if this CPU can run it; else every stage on the best path
    /// it has below this one (a worker on another host, reached through
    /// Redis, may lack the coordinator's instruction set), or the same path
    /// with the best wide test this CPU has.
    pub fn on_this_cpu(self) -> SimdPlan {
        if !self.path.available() {
            return SimdPlan::all(SimdPath::best_up_to(self.path));
        }
        match self.wide.available_on(self.path) {
            true => self,
            false => SimdPlan {
                wide: WideTest::best_on(self.path),
                ..self
            },
        }
    }
}

impl std::fmt::Display for SimdPlan {
    /// The path, with the wide test after a `+` (`avx512+ifma`), and the
    /// stages that stay scalar in brackets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path == SimdPath::Scalar {
            return f.write_str("scalar");
        }
        f.write_str(self.path.name())?;
        if self.wide != WideTest::Scalar {
            write!(f, "+{}", self.wide.name())?;
        }
        let scalar: Vec<&str> = [
            (self.small, "n<2^32"),
            (self.wide != WideTest::Scalar, "2^32<=n<2^52"),
            (self.table, "n>=2^52"),
            (self.fly, "beyond table"),
        ]
        .into_iter()
        .filter(|(vector, _)| !vector)
        .map(|(_, what)| what)
        .collect();
        match scalar.is_empty() {
            true => Ok(()),
            false => write!(f, " (scalar for {})", scalar.join(", ")),
        }
    }
}

mod path_name {
    //! A [`SimdPath`] as its name.
    use super::SimdPath;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &SimdPath, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(path.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SimdPath, D::Error> {
        let name = String::deserialize(d)?;
        SimdPath::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown simd path {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_caps_at_the_named_path() {
        assert_eq!(SimdPath::best_up_to(SimdPath::Scalar), SimdPath::Scalar);
        assert!(SimdPath::detect().available());
        for p in SimdPath::ALL {
            assert_eq!(SimdPath::parse(p.name()), Some(p));
        }
    }

    #[test]
    fn plans_name_the_wide_test_and_the_scalar_stages() {
        let plan = SimdPlan {
            path: SimdPath::Avx512,
            small: true,
            wide: WideTest::Ifma,
            table: true,
            fly: true,
        };
        assert_eq!(plan.to_string(), "avx512+ifma");
        let plan = SimdPlan {
            path: SimdPath::Avx2,
            wide: WideTest::Scalar,
            table: false,
            ..plan
        };
        assert_eq!(plan.to_string(), "avx2 (scalar for 2^32<=n<2^52, n>=2^52)");
        assert_eq!(SimdPlan::all(SimdPath::Scalar).to_string(), "scalar");
    }

    #[test]
    fn a_plan_another_cpu_made_runs_here() {
        for path in SimdPath::ALL {
            for wide in WideTest::ALL {
                let plan = SimdPlan {
                    path,
                    small: false,
                    wide,
                    table: true,
                    fly: false,
                }
                .on_this_cpu();
                assert!(plan.path.available() && plan.wide.available_on(plan.path));
            }
        }
    }

    #[test]
    fn a_manifest_from_before_issue_23_still_reads() {
        let old = r#"{"path":"avx512","small":true,"table":true,"fly":false}"#;
        let plan: SimdPlan = serde_json::from_str(old).unwrap();
        assert_eq!(plan.wide, WideTest::Halves);
        assert!(!plan.fly);
    }
}
