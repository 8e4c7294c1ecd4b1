"""Mining end to end on small trees: verbatim sources, filters, determinism, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from devspeech.corpus.api import MineRequest, run_mine
from devspeech.corpus.filters import remove_markup
from devspeech.corpus.mine import MineOptions, mine
from devspeech.corpus.sample import balanced_sample, parse_mix
from devspeech.corpus.sources import scan_directory, scan_help, scan_package
from devspeech.errors import InputError, NothingMinedError
from devspeech.jsonl import read_jsonl
from devspeech.records import Utterance, utterance_id
from devspeech.runner import RunnerOptions


def _mine(root: Path, **options: object) -> tuple[list[Utterance], object]:
    return mine([scan_directory(root)], MineOptions(runner=RunnerOptions(workers=1), **options))  # type: ignore[arg-type]


def _line_at(root: Path, source: str) -> str:
    path, line = source.rsplit(":", 1)
    relative = path.split("/", 1)[1]
    return (root / relative).read_text().split("\n")[int(line) - 1]


def test_every_text_is_verbatim_at_its_source(project: Path) -> None:
    utterances, _ = _mine(project)
    assert utterances
    for u in utterances:
        line = _line_at(project, u.source)
        # a sentence with inline markup is kept with the markup taken off
        assert u.text in line or u.text in remove_markup(line), u.source
        assert u.id == utterance_id(u.kind, u.text)
        assert u.license == "MIT"


def test_mines_all_three_kinds_from_a_repository(project: Path) -> None:
    utterances, _ = _mine(project)
    texts = {(u.kind, u.text) for u in utterances}
    assert ("code", "for i in range(len(items)):") in texts
    assert ("code", "@functools.lru_cache(maxsize=None)") in texts
    assert ("code", "const [count, setCount] = useState(0);") in texts
    assert ("shell", "pip install -e '.[dev]'") in texts
    assert ("shell", "sphinx-build -b html docs/ build/html") in texts
    assert ("shell", "devspeech corpus mine . -o out.jsonl") in texts
    assert ("prose", "Keep the os.path.join() call so that Windows paths work.") in texts
    assert ("prose", "Render the App component with useState.") in texts


def test_filters_are_counted_and_nothing_private_is_kept(project: Path) -> None:
    utterances, summary = _mine(project)
    joined = "\n".join(u.text for u in utterances)
    assert "AKIA" not in joined and "@example.com" not in joined
    assert summary.filtered["secret (aws access key)"] == 1
    assert summary.filtered["personal data (e-mail address)"] == 1
    assert summary.filtered["non-English"] == 1
    assert summary.files_skipped["binary file"] == 1
    assert summary.files_skipped["undecodable file"] == 1
    assert summary.files_skipped["generated or minified file"] == 1
    assert not any("untracked" in u.source for u in utterances)  # git: tracked files only


def test_same_seed_gives_identical_files_for_any_worker_count(
    project: Path, tmp_path: Path
) -> None:
    outputs = []
    for index, workers in enumerate((1, 2, 2)):
        out = tmp_path / f"u{index}.jsonl"
        run_mine(
            MineRequest(
                output=out, directories=(project,), runner=RunnerOptions(workers=workers), seed=5
            )
        )
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    other = tmp_path / "other.jsonl"
    run_mine(
        MineRequest(output=other, directories=(project,), runner=RunnerOptions(workers=1), seed=6)
    )
    assert other.read_bytes() != outputs[0]


def test_written_file_reads_back_as_utterances(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "u.jsonl"
    summary = run_mine(
        MineRequest(output=out, directories=(project,), runner=RunnerOptions(workers=1))
    )
    rows = list(read_jsonl(out, Utterance.from_dict))
    assert len(rows) == sum(summary.written.values())


def test_duplicates_exact_and_whitespace_are_counted(tmp_path: Path) -> None:
    root = tmp_path / "dups"
    root.mkdir()
    (root / "a.py").write_text("value = compute(alpha, beta)\n")
    (root / "b.py").write_text("value = compute(alpha, beta)\nvalue = compute(alpha,  beta)\n")
    utterances, summary = _mine(root)
    assert [u.text for u in utterances] == ["value = compute(alpha, beta)"]
    assert summary.filtered["duplicate"] == 1
    assert summary.filtered["duplicate (whitespace)"] == 1


def test_too_long_utterances_are_filtered(tmp_path: Path) -> None:
    root = tmp_path / "long"
    root.mkdir()
    args = ", ".join(f"argument_{n}" for n in range(12))
    (root / "a.py").write_text(f"result = compute({args})\nshort = compute(alpha)\n")
    utterances, summary = _mine(root)
    assert [u.text for u in utterances] == ["short = compute(alpha)"]
    assert summary.filtered["too long"] == 1


def _pool(counts: dict[str, int]) -> list[Utterance]:
    pool = []
    for kind, n in counts.items():
        for i in range(n):
            text = f"{kind} {i}"
            pool.append(
                Utterance(utterance_id(kind, text), text, "x", kind, "", (), "", "s:1", "MIT")
            )  # type: ignore[arg-type]
    return pool


def test_balanced_sample_follows_the_mix() -> None:
    pool = _pool({"code": 100, "shell": 100, "prose": 100})
    chosen = balanced_sample(pool, 50, parse_mix("code=0.4,shell=0.2,prose=0.4"), seed=0)
    assert [sum(u.kind == k for u in chosen) for k in ("code", "shell", "prose")] == [20, 10, 20]
    assert chosen == balanced_sample(
        list(reversed(pool)), 50, parse_mix("code=0.4,shell=0.2,prose=0.4"), 0
    )


def test_balanced_sample_gives_a_short_kinds_share_to_the_others() -> None:
    pool = _pool({"code": 100, "shell": 3, "prose": 100})
    chosen = balanced_sample(pool, 50, parse_mix("code=0.4,shell=0.2,prose=0.4"), seed=0)
    assert [sum(u.kind == k for u in chosen) for k in ("code", "shell", "prose")] == [24, 3, 23]


def test_mix_without_limit_keeps_exact_proportions() -> None:
    pool = _pool({"code": 100, "shell": 10, "prose": 100})
    chosen = balanced_sample(pool, None, parse_mix("code=0.5,shell=0.1,prose=0.4"), seed=0)
    assert [sum(u.kind == k for u in chosen) for k in ("code", "shell", "prose")] == [50, 10, 40]


def test_bad_mix_is_refused() -> None:
    with pytest.raises(InputError, match="KIND=WEIGHT"):
        parse_mix("python=1")


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file or directory"):
        scan_directory(tmp_path / "nope")


def test_missing_package_is_refused() -> None:
    with pytest.raises(InputError, match="not installed"):
        scan_package("surely-not-installed-devspeech")


def test_source_with_nothing_minable_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "data.csv").write_text("a,b\n1,2\n")
    with pytest.raises(
        NothingMinedError,
        match=r"directory .*empty: no utterances \(0 file\(s\) read; file\(s\) skipped: "
        r"1 unsupported file type\)$",
    ):
        _mine(tmp_path / "empty")
    (tmp_path / "empty" / "notes.md").write_text("Hello there.\n\nSee you soon.\n")
    with pytest.raises(
        NothingMinedError,
        match=r"no utterances \(1 file\(s\) read; all 2 candidate line\(s\) filtered out "
        r"\(2 not a sentence\); file\(s\) skipped: 1 unsupported file type\)$",
    ):
        _mine(tmp_path / "empty")


def test_installed_package_is_mined_with_its_license() -> None:
    utterances, _ = mine([scan_package("click")], MineOptions(runner=RunnerOptions(workers=1)))
    assert {u.license for u in utterances} == {"BSD-3-Clause"}
    assert {u.kind for u in utterances} >= {"code", "prose"}
    assert all(u.source.startswith("click/") for u in utterances)


def test_missing_tools_are_skipped_and_counted() -> None:
    scan = scan_help(("surely-not-a-tool-xyz", "python3"))
    assert scan.skipped["tool not installed"] == 1
    assert [d.prefix for d in scan.documents] == ["python3 --help"]


def test_general_mining_keeps_only_ordinary_english(tmp_path: Path):
    root = tmp_path / "plain"
    root.mkdir()
    (root / "notes.py").write_text(
        '"""Wait until the other side has finished before you close the door."""\n'
        "import numpy as np\n"
        "# Call np.linalg.solve with the matrix and the vector.\n",
        encoding="utf-8",
    )
    utterances, summary = mine(
        [scan_directory(root)], MineOptions(runner=RunnerOptions(workers=1), general=True)
    )
    assert [(u.kind, u.text, u.keywords) for u in utterances] == [
        ("prose", "Wait until the other side has finished before you close the door.", ())
    ]
    assert summary.filtered["technical (not general English)"] == 2


def test_sentences_with_inline_markup_are_kept_without_it(tmp_path: Path) -> None:
    root = tmp_path / "docs"
    root.mkdir()
    (root / "guide.rst").write_text(
        "Call :func:`os.path.join` on each part or build a :class:`~pathlib.PurePath`.\n\n"
        "Set ``max_length`` to 448 in the ``config.json`` file.\n\n"
        "See :meth:`Session.get <requests.Session.get>` for the retry options.\n\n"
        "Read the |project| docs about numpy arrays.\n"
    )
    (root / "README.md").write_text(
        "Pass a `np.ndarray` to [the encoder](https://example.org/encoder) with **dtype** set.\n"
    )
    utterances, summary = _mine(root)
    assert sorted(u.text for u in utterances) == [
        "Call os.path.join on each part or build a PurePath.",
        "Pass a np.ndarray to the encoder with dtype set.",
        "See Session.get for the retry options.",
        "Set max_length to 448 in the config.json file.",
    ]
    assert summary.filtered["markup"] == 1  # |substitutions| are not said
    keywords = {u.text: u.keywords for u in utterances}
    assert "np.ndarray" in keywords["Pass a np.ndarray to the encoder with dtype set."]
