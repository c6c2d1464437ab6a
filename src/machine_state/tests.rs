//! Every fact read from a fake `/sys` and `/proc` in a temporary folder:
//! present, absent and malformed; and every warning.

use std::fs;
use std::path::Path;

use super::busy::parse_stat;
use super::*;
use crate::machine::Cores;

fn put(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn cpus(root: &Path) -> Vec<PathBuf> {
    cpu_dirs(root)
}

const CPU: &str = "sys/devices/system/cpu";

#[test]
fn an_empty_tree_knows_nothing_and_does_not_fail() {
    let root = tempfile::tempdir().unwrap();
    assert_eq!(MachineState::read_at(root.path()), MachineState::default());
    let missing = root.path().join("no/such/root");
    assert_eq!(MachineState::read_at(&missing), MachineState::default());
}

#[test]
fn a_whole_tree_is_read() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for cpu in 0..2 {
        put(
            r,
            &format!("{CPU}/cpu{cpu}/cpufreq/scaling_governor"),
            "performance\n",
        );
        put(
            r,
            &format!("{CPU}/cpu{cpu}/cpufreq/scaling_cur_freq"),
            "2000000\n",
        );
        put(
            r,
            &format!("{CPU}/cpu{cpu}/cpufreq/cpuinfo_max_freq"),
            "3500000\n",
        );
        put(
            r,
            &format!("{CPU}/cpu{cpu}/topology/thread_siblings_list"),
            "0-1\n",
        );
        put(
            r,
            &format!("{CPU}/cpu{cpu}/thermal_throttle/core_throttle_count"),
            "3\n",
        );
    }
    put(r, &format!("{CPU}/cpufreq/boost"), "1\n");
    put(r, &format!("{CPU}/smt/active"), "1\n");
    put(r, "proc/loadavg", "0.52 0.40 0.30 2/345 6789\n");
    put(r, "proc/self/cgroup", "0::/user.slice\n");
    put(r, "sys/fs/cgroup/user.slice/cpu.max", "150000 100000\n");
    put(r, "proc/cpuinfo", "flags\t\t: fpu sse2 hypervisor\n");
    put(r, "sys/hypervisor/type", "xen\n");
    let state = MachineState::read_at(r);
    assert_eq!(
        state,
        MachineState {
            governors: Some(vec!["performance".into()]),
            boost: Some(true),
            current_mhz: Some(2000.0),
            max_mhz: Some(3500.0),
            smt_active: Some(true),
            shared_cores: Some(true),
            load: Some(LoadAverage {
                one: 0.52,
                five: 0.40,
                fifteen: 0.30,
                running: 2,
                total: 345
            }),
            cpu_quota: Some(1.5),
            virtual_machine: Some(true),
            hypervisor: Some("xen".into()),
            throttle_count: Some(6),
            // `proc` holds no process folders: nothing is busy.
            busy: Some(Vec::new()),
        }
    );
    let json = serde_json::to_string(&state).unwrap();
    assert_eq!(serde_json::from_str::<MachineState>(&json).unwrap(), state);
}

#[test]
fn governors_are_distinct_and_malformed_ones_dropped() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(governors(&cpus(r)), None);
    put(
        r,
        &format!("{CPU}/cpu0/cpufreq/scaling_governor"),
        "powersave\n",
    );
    put(
        r,
        &format!("{CPU}/cpu1/cpufreq/scaling_governor"),
        "performance\n",
    );
    put(
        r,
        &format!("{CPU}/cpu2/cpufreq/scaling_governor"),
        "powersave\n",
    );
    put(
        r,
        &format!("{CPU}/cpu3/cpufreq/scaling_governor"),
        "\u{1b}[31m x\n",
    );
    put(
        r,
        &format!("{CPU}/cpufreq/policy0/scaling_governor"),
        "ignored\n",
    );
    assert_eq!(
        governors(&cpus(r)),
        Some(vec!["performance".into(), "powersave".into()])
    );
}

#[test]
fn boost_reads_boost_or_inverts_no_turbo() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(boost(r), None);
    put(r, &format!("{CPU}/intel_pstate/no_turbo"), "1\n");
    assert_eq!(boost(r), Some(false));
    put(r, &format!("{CPU}/intel_pstate/no_turbo"), "0\n");
    assert_eq!(boost(r), Some(true));
    put(r, &format!("{CPU}/cpufreq/boost"), "0\n");
    assert_eq!(boost(r), Some(false), "cpufreq/boost comes first");
    put(r, &format!("{CPU}/cpufreq/boost"), "yes\n");
    assert_eq!(boost(r), Some(true), "a malformed boost falls back");
    put(r, &format!("{CPU}/intel_pstate/no_turbo"), "maybe\n");
    assert_eq!(boost(r), None);
}

#[test]
fn frequencies_come_from_cpufreq_or_cpuinfo() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(
        (current_mhz(&cpus(r), None), max_mhz(&cpus(r))),
        (None, None)
    );
    let cpuinfo = "processor\t: 0\ncpu MHz\t\t: 2596.146\nprocessor\t: 1\ncpu MHz\t\t: 2600.000\n";
    let mhz = current_mhz(&cpus(r), Some(cpuinfo)).unwrap();
    assert!((mhz - 2598.073).abs() < 1e-9, "{mhz}");
    assert_eq!(current_mhz(&cpus(r), Some("cpu MHz : fast\n")), None);
    put(
        r,
        &format!("{CPU}/cpu0/cpufreq/scaling_cur_freq"),
        "1000000\n",
    );
    put(
        r,
        &format!("{CPU}/cpu1/cpufreq/scaling_cur_freq"),
        "3000000\n",
    );
    put(
        r,
        &format!("{CPU}/cpu2/cpufreq/scaling_cur_freq"),
        "garbage\n",
    );
    put(
        r,
        &format!("{CPU}/cpu0/cpufreq/cpuinfo_max_freq"),
        "3000000\n",
    );
    put(
        r,
        &format!("{CPU}/cpu1/cpufreq/cpuinfo_max_freq"),
        "4200000\n",
    );
    assert_eq!(current_mhz(&cpus(r), Some(cpuinfo)), Some(2000.0));
    assert_eq!(max_mhz(&cpus(r)), Some(4200.0));
}

#[test]
fn smt_and_sibling_lists() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(shared_cores(&cpus(r)), None);
    put(
        r,
        &format!("{CPU}/cpu0/topology/thread_siblings_list"),
        "0\n",
    );
    put(
        r,
        &format!("{CPU}/cpu1/topology/thread_siblings_list"),
        "1\n",
    );
    assert_eq!(shared_cores(&cpus(r)), Some(false));
    put(
        r,
        &format!("{CPU}/cpu1/topology/thread_siblings_list"),
        "1,5\n",
    );
    assert_eq!(shared_cores(&cpus(r)), Some(true));
    put(
        r,
        &format!("{CPU}/cpu1/topology/thread_siblings_list"),
        "5-1\n",
    );
    assert_eq!(
        shared_cores(&cpus(r)),
        Some(false),
        "a malformed list is skipped"
    );
    assert_eq!(cpu_list_len("0-3,8"), Some(5));
    assert_eq!(cpu_list_len("x"), None);
    assert_eq!(flag("1"), Some(true));
    assert_eq!(flag("0\n"), Some(false));
    assert_eq!(flag("notsupported"), None);
}

#[test]
fn load_average() {
    assert_eq!(
        parse_loadavg("1.40 2.37 2.11 1/83 30510"),
        Some(LoadAverage {
            one: 1.4,
            five: 2.37,
            fifteen: 2.11,
            running: 1,
            total: 83
        })
    );
    assert_eq!(parse_loadavg("1.40 2.37"), None);
    assert_eq!(parse_loadavg("1.40 NaN 2.11 1/83"), None);
    assert_eq!(parse_loadavg("1.40 2.37 2.11 83"), None);
    assert_eq!(parse_loadavg(""), None);
}

#[test]
fn cgroup_v2_quota_is_the_tightest_on_the_path() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(cpu_quota(r), None, "no /proc/self/cgroup");
    put(r, "proc/self/cgroup", "0::/a/b\n");
    assert_eq!(cpu_quota(r), None, "no cpu.max");
    put(r, "sys/fs/cgroup/a/b/cpu.max", "max 100000\n");
    assert_eq!(cpu_quota(r), None, "max is no limit");
    put(r, "sys/fs/cgroup/a/cpu.max", "300000 100000\n");
    assert_eq!(cpu_quota(r), Some(3.0));
    put(r, "sys/fs/cgroup/a/b/cpu.max", "50000 100000\n");
    assert_eq!(cpu_quota(r), Some(0.5));
    put(r, "sys/fs/cgroup/a/b/cpu.max", "lots 100000\n");
    assert_eq!(cpu_quota(r), Some(3.0), "a malformed file is skipped");
    put(r, "proc/self/cgroup", "0::/../../etc\n");
    assert_eq!(cpu_quota(r), None, "never leaves the cgroup folder");
}

#[test]
fn cgroup_v1_quota() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    put(
        r,
        "proc/self/cgroup",
        "4:memory:/x\n2:cpu,cpuacct:/docker/abc\n",
    );
    put(r, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n");
    put(r, "sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n");
    assert_eq!(cpu_quota(r), None, "-1 is no limit");
    put(
        r,
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us",
        "200000\n",
    );
    put(
        r,
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us",
        "100000\n",
    );
    assert_eq!(cpu_quota(r), Some(2.0));
    put(
        r,
        "sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us",
        "0\n",
    );
    assert_eq!(cpu_quota(r), None, "a zero period is no quota");
    put(r, "proc/self/cgroup", "1:cpu:/\n");
    put(r, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "150000\n");
    put(r, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
    assert_eq!(cpu_quota(r), Some(1.5));
    put(r, "proc/self/cgroup", "garbage\n");
    assert_eq!(cpu_quota(r), None);
}

#[test]
fn hypervisor_from_the_flag_the_type_or_dmi() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(hypervisor(r, None), (None, None));
    assert_eq!(
        hypervisor(r, Some("flags\t: fpu sse2\n")),
        (Some(false), None)
    );
    put(r, "sys/class/dmi/id/sys_vendor", "QEMU\n");
    put(
        r,
        "sys/class/dmi/id/product_name",
        "Standard PC (i440FX + PIIX, 1996)\n",
    );
    assert_eq!(
        hypervisor(r, Some("flags\t: fpu hypervisor sse2\n")),
        (
            Some(true),
            Some("QEMU Standard PC (i440FX + PIIX, 1996)".into())
        )
    );
    put(r, "sys/hypervisor/type", "xen\n");
    assert_eq!(hypervisor(r, None), (Some(true), Some("xen".into())));
}

#[test]
fn throttle_counts_are_summed_and_absent_on_vms() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    put(r, &format!("{CPU}/cpu0/online"), "1\n");
    assert_eq!(throttle_count(&cpus(r)), None);
    put(
        r,
        &format!("{CPU}/cpu0/thermal_throttle/core_throttle_count"),
        "2\n",
    );
    put(
        r,
        &format!("{CPU}/cpu0/thermal_throttle/package_throttle_count"),
        "5\n",
    );
    put(
        r,
        &format!("{CPU}/cpu1/thermal_throttle/core_throttle_count"),
        "x\n",
    );
    assert_eq!(throttle_count(&cpus(r)), Some(7));
}

fn times(entries: &[(u32, &str, u32, u64)]) -> CpuTimes {
    entries
        .iter()
        .map(|&(pid, name, parent, ticks)| {
            (
                pid,
                ProcessTimes {
                    name: name.into(),
                    parent,
                    ticks,
                },
            )
        })
        .collect()
}

#[test]
fn stat_lines_are_parsed_from_the_last_parenthesis() {
    let line = "123 (a (b) c) R 45 1 1 0 -1 4194304 10 0 0 0 700 50 0 0 20 0 1 0 1 1 1";
    assert_eq!(
        parse_stat(line),
        Some(ProcessTimes {
            name: "a (b) c".into(),
            parent: 45,
            ticks: 750
        })
    );
    assert_eq!(parse_stat("123 (x) R 45 1"), None);
    assert_eq!(parse_stat("garbage"), None);
}

#[test]
fn busy_processes_leave_out_this_one_and_its_children() {
    let before = times(&[
        (1, "init", 0, 10),
        (50, "stress", 1, 100),
        (60, "rustc", 1, 100),
        (70, "idle", 1, 100),
        (80, "cc", 1, 100),
        (90, "make", 1, 100),
        (100, "runner", 1, 0),
        (101, "runner", 100, 0),
        (102, "grandchild", 101, 0),
    ]);
    let after = times(&[
        (1, "init", 0, 10),
        (50, "stress", 1, 119),
        (60, "rustc", 1, 110),
        (70, "idle", 1, 101),
        (80, "cc", 1, 105),
        (90, "make", 1, 107),
        (100, "runner", 1, 20),
        (101, "runner", 100, 20),
        (102, "grandchild", 101, 20),
        (200, "new", 1, 50),
    ]);
    // 20 ticks a second over 0.2 s: 4 ticks are one core.
    let busy = busy_processes(&before, &after, 0.2, 20.0, 100);
    let named: Vec<(u32, &str, f64)> = busy
        .iter()
        .map(|p| (p.pid, p.name.as_str(), p.percent))
        .collect();
    assert_eq!(
        named,
        vec![
            (50, "stress", 475.0),
            (60, "rustc", 250.0),
            (90, "make", 175.0)
        ]
    );
    assert!(busy_processes(&before, &after, 0.0, 20.0, 100).is_empty());
    // A pid reused by another program is not compared with the old one.
    let reused = times(&[(50, "other", 1, 500)]);
    assert!(busy_processes(&before, &reused, 0.2, 20.0, 100).is_empty());
}

#[test]
fn cpu_times_reads_every_process_folder() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    assert_eq!(cpu_times(r), None);
    put(
        r,
        "proc/7/stat",
        "7 (sleepy) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0\n",
    );
    put(r, "proc/8/stat", "not a stat line\n");
    put(
        r,
        "proc/self/stat",
        "9 (me) S 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0\n",
    );
    put(r, "proc/loadavg", "0 0 0 1/1 1\n");
    let read = cpu_times(r).unwrap();
    assert_eq!(read.keys().copied().collect::<Vec<_>>(), vec![7]);
    assert_eq!(read[&7].ticks, 7);
}

// Warnings.

const TWO: Cores = Cores {
    physical: 2,
    logical: 2,
};

fn one(start: &MachineState, end: Option<&MachineState>, workers: usize, cores: Cores) -> String {
    let said = warnings(start, end, workers, cores);
    assert_eq!(said.len(), 1, "{said:#?}");
    said.into_iter().next().unwrap()
}

fn load(one: f64) -> Option<LoadAverage> {
    Some(LoadAverage {
        one,
        five: one,
        fifteen: one,
        running: 1,
        total: 100,
    })
}

#[test]
fn a_quiet_machine_or_an_unknown_one_gets_no_warning() {
    assert!(warnings(&MachineState::default(), None, 2, TWO).is_empty());
    let quiet = MachineState {
        governors: Some(vec!["performance".into()]),
        boost: Some(false),
        smt_active: Some(false),
        shared_cores: Some(false),
        load: load(0.3),
        cpu_quota: Some(4.0),
        virtual_machine: Some(false),
        hypervisor: Some("Dell Inc. PowerEdge".into()),
        throttle_count: Some(10),
        busy: Some(Vec::new()),
        ..MachineState::default()
    };
    assert!(warnings(&quiet, Some(&quiet), 2, TWO).is_empty());
}

#[test]
fn a_busy_process_is_named_with_what_to_do() {
    let start = MachineState {
        busy: Some(vec![BusyProcess {
            pid: 123,
            name: "stress".into(),
            percent: 95.0,
        }]),
        ..MachineState::default()
    };
    assert_eq!(
        one(&start, None, 1, TWO),
        "another busy process: `stress` (pid 123) used 95% of a core; figures are less \
         reliable: stop it or run again later"
    );
    let end = MachineState {
        busy: Some(vec![
            BusyProcess {
                pid: 123,
                name: "stress".into(),
                percent: 90.0,
            },
            BusyProcess {
                pid: 9,
                name: "cc1".into(),
                percent: 40.0,
            },
        ]),
        ..MachineState::default()
    };
    let said = warnings(&start, Some(&end), 1, TWO);
    assert_eq!(
        said.len(),
        2,
        "the one named at the start is not named again"
    );
    assert!(said[1].starts_with("another busy process at the end of the run: `cc1` (pid 9)"));
}

#[test]
fn more_workers_than_logical_cpus_is_oversubscribed() {
    let said = one(&MachineState::default(), None, 8, TWO);
    assert!(
        said.starts_with("oversubscribed: up to 8 workers on 2 logical CPUs"),
        "{said}"
    );
    assert!(warnings(&MachineState::default(), None, 2, TWO).is_empty());
}

#[test]
fn a_quota_below_the_cpus_is_named() {
    let start = MachineState {
        cpu_quota: Some(1.5),
        ..MachineState::default()
    };
    assert!(one(&start, None, 1, TWO).starts_with("a CPU quota of 1.5 CPUs (cgroup) on 2"));
    let roomy = MachineState {
        cpu_quota: Some(2.0),
        ..MachineState::default()
    };
    assert!(warnings(&roomy, None, 1, TWO).is_empty());
}

#[test]
fn a_load_above_the_cores_at_the_start() {
    let start = MachineState {
        load: load(3.25),
        ..MachineState::default()
    };
    assert!(one(&start, None, 1, TWO).starts_with("load average 3.25 at the start, above the 2"));
}

#[test]
fn a_load_that_rose_beyond_the_runs_own_workers() {
    let start = MachineState {
        load: load(0.5),
        ..MachineState::default()
    };
    let own = MachineState {
        load: load(2.5),
        ..MachineState::default()
    };
    assert!(
        warnings(&start, Some(&own), 2, TWO).is_empty(),
        "its own workers"
    );
    let risen = MachineState {
        load: load(4.0),
        ..MachineState::default()
    };
    assert!(
        one(&start, Some(&risen), 1, TWO)
            .starts_with("the load average rose from 0.5 to 4 during the run")
    );
}

#[test]
fn throttling_during_the_run() {
    let start = MachineState {
        throttle_count: Some(4),
        ..MachineState::default()
    };
    assert!(warnings(&start, Some(&start), 1, TWO).is_empty());
    assert!(warnings(&start, None, 1, TWO).is_empty());
    let end = MachineState {
        throttle_count: Some(7),
        ..MachineState::default()
    };
    assert!(
        one(&start, Some(&end), 1, TWO).starts_with("the CPU was throttled for heat 3 time(s)")
    );
}

#[test]
fn powersave_boost_smt_and_virtual_machines() {
    let powersave = MachineState {
        governors: Some(vec!["performance".into(), "powersave".into()]),
        ..MachineState::default()
    };
    assert!(one(&powersave, None, 1, TWO).contains("governor is `powersave`"));
    let boost = MachineState {
        boost: Some(true),
        ..MachineState::default()
    };
    assert!(one(&boost, None, 1, TWO).starts_with("boost (turbo) is on"));
    let smt = MachineState {
        shared_cores: Some(true),
        ..MachineState::default()
    };
    let hyperthreads = Cores {
        physical: 2,
        logical: 4,
    };
    assert!(warnings(&smt, None, 2, hyperthreads).is_empty());
    assert!(
        one(&smt, None, 4, hyperthreads)
            .starts_with("logical CPUs share cores (SMT): up to 4 workers on 2 physical cores")
    );
    let vm = MachineState {
        virtual_machine: Some(true),
        hypervisor: Some("KVM".into()),
        ..MachineState::default()
    };
    assert_eq!(
        one(&vm, None, 1, TWO),
        "a virtual machine (KVM): neighbours can steal time; compare runs made on the same \
         machine"
    );
    let unnamed = MachineState {
        virtual_machine: Some(true),
        ..MachineState::default()
    };
    assert!(one(&unnamed, None, 1, TWO).starts_with("a virtual machine: neighbours"));
}

#[test]
fn only_what_disturbed_the_run_is_a_disturbance() {
    // What the machine always is: warned about, but no disturbance.
    let always = MachineState {
        virtual_machine: Some(true),
        boost: Some(true),
        governors: Some(vec!["powersave".into()]),
        ..MachineState::default()
    };
    assert_eq!(warnings(&always, Some(&always), 2, TWO).len(), 3);
    assert!(disturbances(&always, Some(&always), 2, TWO).is_empty());
    // Another busy process, a load above the CPUs, a rising load and
    // throttling: each a disturbance.
    let start = MachineState {
        busy: Some(vec![BusyProcess {
            pid: 7,
            name: "stress".into(),
            percent: 99.0,
        }]),
        load: Some(LoadAverage {
            running: 4,
            ..load(3.0).unwrap()
        }),
        throttle_count: Some(1),
        ..always.clone()
    };
    let end = MachineState {
        load: load(9.0),
        throttle_count: Some(4),
        ..start.clone()
    };
    let said = disturbances(&start, Some(&end), 2, TWO);
    assert_eq!(said.len(), 4, "{said:#?}");
    assert!(said[0].starts_with("another busy process: `stress` (pid 7)"));
    assert!(
        said.iter()
            .all(|d| warnings(&start, Some(&end), 2, TWO).contains(d))
    );
}
