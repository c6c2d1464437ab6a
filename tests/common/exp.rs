//! An experiment file built in a line of Rust instead of copied as TOML:
//! `Exp::primes("x").range(1000, 3000).strategy("pool").sweep("workers", [1, 2])`.
//! Most tests need a small run of one kind; what they differ in is then
//! what the builder's calls say, not a line hidden in twenty. A test about
//! the file's exact text (a diagnostic's line and column, a comment, a
//! quoting rule) keeps its text instead.

use std::path::{Path, PathBuf};

/// A TOML value as written in the file.
pub trait Lit {
    /// The value's TOML text.
    fn lit(&self) -> String;
}

/// TOML written as is: a mixed list (`[1, "default"]`), an inline table.
pub struct Raw<'a>(pub &'a str);

impl Lit for Raw<'_> {
    fn lit(&self) -> String {
        self.0.to_string()
    }
}

impl Lit for str {
    fn lit(&self) -> String {
        // A JSON string is a TOML basic string (the same escapes).
        serde_json::to_string(self).expect("a string serializes")
    }
}

impl Lit for String {
    fn lit(&self) -> String {
        self.as_str().lit()
    }
}

impl<T: Lit + ?Sized> Lit for &T {
    fn lit(&self) -> String {
        (**self).lit()
    }
}

macro_rules! plain_lit {
    ($($t:ty),*) => {$(
        impl Lit for $t {
            fn lit(&self) -> String {
                self.to_string()
            }
        }
    )*};
}

plain_lit!(i32, u32, u64, usize, bool, f64);

impl<T: Lit> Lit for [T] {
    fn lit(&self) -> String {
        let items: Vec<String> = self.iter().map(Lit::lit).collect();
        format!("[{}]", items.join(", "))
    }
}

impl<T: Lit, const N: usize> Lit for [T; N] {
    fn lit(&self) -> String {
        self[..].lit()
    }
}

impl<T: Lit> Lit for Vec<T> {
    fn lit(&self) -> String {
        self[..].lit()
    }
}

/// The keys of one table, in the order set; setting a key again replaces it.
#[derive(Clone, Default)]
pub struct Table(Vec<(String, String)>);

impl Table {
    /// Sets `key = value`.
    pub fn set(mut self, key: &str, value: impl Lit) -> Self {
        let value = value.lit();
        match self.0.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => self.0.push((key.to_string(), value)),
        }
        self
    }

    /// `range = [start, end]`.
    pub fn range(self, start: u64, end: u64) -> Self {
        self.set("range", [start, end])
    }

    /// Leaves `key` out.
    pub fn unset(mut self, key: &str) -> Self {
        self.0.retain(|(k, _)| k != key);
        self
    }

    fn write(&self, text: &mut String) {
        for (key, value) in &self.0 {
            text.push_str(&format!("{key} = {value}\n"));
        }
    }
}

/// An experiment file: its name, `[workload]`, `[run]`, `[sweep]`, its
/// `[[variant]]`s, and any TOML after them (charts, lessons).
#[derive(Clone)]
pub struct Exp {
    name: String,
    top: Table,
    workload: Table,
    run: Table,
    sweep: Table,
    variants: Vec<Table>,
    tail: String,
}

impl Exp {
    /// An experiment of workload `kind`.
    pub fn of(kind: &str, name: &str) -> Exp {
        Exp {
            name: name.to_string(),
            top: Table::default(),
            workload: Table::default().set("kind", kind),
            run: Table::default(),
            sweep: Table::default(),
            variants: Vec::new(),
            tail: String::new(),
        }
    }

    /// A `primes` experiment (count the primes of a range).
    pub fn primes(name: &str) -> Exp {
        Exp::of("primes", name)
    }

    /// A `verify` experiment (is each number prime?).
    pub fn verify(name: &str) -> Exp {
        Exp::of("verify", name)
    }

    /// A quick pool sweep over [1000, 20000): 4 cases (workers 1 and 2 x
    /// chunksize 10 and 100) of a few milliseconds, 2 repeats each.
    pub fn small(name: &str) -> Exp {
        Exp::primes(name)
            .range(1_000, 20_000)
            .strategy("pool")
            .run("repeats", 2)
            .sweep("workers", [1, 2])
            .sweep("chunksize", [10, 100])
    }

    /// The least run: one serial case over [1000, 2000), one repeat.
    pub fn tiny(name: &str) -> Exp {
        Exp::primes(name).range(1_000, 2_000).run("repeats", 1)
    }

    /// The A/A experiment: two variants, `a` and `b`, doing identical
    /// serial work over [1000, 3000), no warm-up.
    pub fn a_a(name: &str) -> Exp {
        Exp::primes(name)
            .range(1_000, 3_000)
            .strategy("serial")
            .run("warmup", 0)
            .variant("a", |v| v)
            .variant("b", |v| v)
    }

    /// A run long enough to interrupt part-way: 24 serial cases (4 orders
    /// x 2 kernels x 3 variants) of about 0.1 s each over [1e8, 1e8 + 2e5),
    /// 2 repeats, no warm-up, each case's repeats together ("blocked").
    pub fn slow(name: &str) -> Exp {
        Exp::primes(name)
            .range(100_000_000, 100_200_000)
            .schedule("blocked")
            .strategy("serial")
            .repeats(2, 0)
            .sweep(
                "order",
                ["given", "shuffled", "slowest_first", "fastest_first"],
            )
            .sweep("kernel", ["plain", "fast"])
            .variant("one", |v| v)
            .variant("two", |v| v)
            .variant("three", |v| v)
    }

    /// A command whose program prints the time its parameter `param` says
    /// (`runner-time: {param}`, the program's clock) and the right answer
    /// for the primes of [0, 100), 3 repeats, no warm-up: a variant per
    /// `(label, time)`, the workload's own value of `param` the first time.
    pub fn program_times(name: &str, param: &str, times: &[(&str, &str)]) -> Exp {
        let script = format!("echo 'runner-time: {{{param}}}'; echo 'runner-answer: 25'");
        let params = |time: &str| format!("{{ {param} = {} }}", time.lit());
        let mut exp = Exp::of("command", name)
            .workload("command", ["sh", "-c", &script])
            .range(0, 100)
            .workload("answer", "primes")
            .workload("clock", "program")
            .workload("params", Raw(&params(times[0].1)))
            .repeats(3, 0);
        for (label, time) in times {
            exp = exp.variant(label, |v| v.set("params", Raw(&params(time))));
        }
        exp
    }

    /// The experiment's name (also the report folder's).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same experiment under another name.
    pub fn renamed(mut self, name: &str) -> Exp {
        self.name = name.to_string();
        self
    }

    /// A top-level key (`title`, `description`).
    pub fn top(mut self, key: &str, value: impl Lit) -> Exp {
        self.top = self.top.set(key, value);
        self
    }

    /// A key of `[workload]`.
    pub fn workload(mut self, key: &str, value: impl Lit) -> Exp {
        self.workload = self.workload.set(key, value);
        self
    }

    /// The workload's range, `[start, end)`.
    pub fn range(mut self, start: u64, end: u64) -> Exp {
        self.workload = self.workload.range(start, end);
        self
    }

    /// The numbers of a verify workload, by name.
    pub fn numbers(self, numbers: &[(&str, u64)]) -> Exp {
        let tables: Vec<String> = numbers
            .iter()
            .map(|(name, value)| format!("{{ name = {}, value = {value} }}", name.lit()))
            .collect();
        self.workload("numbers", Raw(&format!("[{}]", tables.join(", "))))
    }

    /// A key of `[run]`.
    pub fn run(mut self, key: &str, value: impl Lit) -> Exp {
        self.run = self.run.set(key, value);
        self
    }

    /// `[run] strategy`.
    pub fn strategy(self, strategy: &str) -> Exp {
        self.run("strategy", strategy)
    }

    /// `[run] executor`.
    pub fn executor(self, executor: &str) -> Exp {
        self.run("executor", executor)
    }

    /// `[run] kernel`.
    pub fn kernel(self, kernel: &str) -> Exp {
        self.run("kernel", kernel)
    }

    /// `[run] repeats` and `warmup`.
    pub fn repeats(self, repeats: u32, warmup: u32) -> Exp {
        self.run("repeats", repeats).run("warmup", warmup)
    }

    /// `[run] schedule`.
    pub fn schedule(self, schedule: &str) -> Exp {
        self.run("schedule", schedule)
    }

    /// A swept parameter of `[sweep]`: `values` is a list.
    pub fn sweep(mut self, key: &str, values: impl Lit) -> Exp {
        self.sweep = self.sweep.set(key, values);
        self
    }

    /// Sweeps `key` no more.
    pub fn unsweep(mut self, key: &str) -> Exp {
        self.sweep = self.sweep.unset(key);
        self
    }

    /// A `[[variant]]` labelled `label`, its keys set by `keys`.
    pub fn variant(mut self, label: &str, keys: impl FnOnce(Table) -> Table) -> Exp {
        self.variants
            .push(keys(Table::default().set("label", label)));
        self
    }

    /// TOML written after the variants, as is (`[[chart]]`, `[[expect]]`).
    pub fn then(mut self, toml: &str) -> Exp {
        self.tail.push_str(toml.trim_start_matches('\n'));
        if !self.tail.ends_with('\n') {
            self.tail.push('\n');
        }
        self
    }

    /// The file's text.
    pub fn toml(&self) -> String {
        let mut text = format!("name = {}\n", self.name.lit());
        self.top.write(&mut text);
        for (table, keys) in [
            ("workload", &self.workload),
            ("run", &self.run),
            ("sweep", &self.sweep),
        ] {
            if !keys.0.is_empty() {
                text.push_str(&format!("[{table}]\n"));
                keys.write(&mut text);
            }
        }
        for variant in &self.variants {
            text.push_str("[[variant]]\n");
            variant.write(&mut text);
        }
        text.push_str(&self.tail);
        text
    }

    /// Writes the file into `dir` as `NAME.toml`; its path.
    pub fn write(&self, dir: &Path) -> PathBuf {
        super::experiment(dir, &self.name, &self.toml())
    }
}

#[test]
fn an_experiment_is_written_as_its_calls_say() {
    let text = Exp::primes("x")
        .top("title", "A \"quoted\" title")
        .range(1000, 3000)
        .strategy("pool")
        .repeats(2, 0)
        .sweep("workers", [1, 2])
        .sweep("chunksize", Raw("[1, \"default\"]"))
        .variant("a", |v| v)
        .variant("b", |v| v.set("flag", "mmap").range(5, 50))
        .then("[[chart]]\nx = \"workers\"")
        .toml();
    assert_eq!(
        text,
        "name = \"x\"\ntitle = \"A \\\"quoted\\\" title\"\n\
         [workload]\nkind = \"primes\"\nrange = [1000, 3000]\n\
         [run]\nstrategy = \"pool\"\nrepeats = 2\nwarmup = 0\n\
         [sweep]\nworkers = [1, 2]\nchunksize = [1, \"default\"]\n\
         [[variant]]\nlabel = \"a\"\n\
         [[variant]]\nlabel = \"b\"\nflag = \"mmap\"\nrange = [5, 50]\n\
         [[chart]]\nx = \"workers\"\n"
    );
}
