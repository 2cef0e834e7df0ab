"""Statistical properties of the allocation methods, over many seeds (no database)."""

from __future__ import annotations

import random
from collections import Counter

from randomization import allocation


class TestBlocksDraw:
    def test_every_block_is_balanced_and_of_a_chosen_size_over_many_seeds(self) -> None:
        sizes_seen: Counter[int] = Counter()

        for seed in range(300):
            drafts = allocation.blocks_draw(
                seed=str(seed), key="IC|first_relapse", block_sizes=[2, 4, 6], slots=60
            )

            assert allocation.blocks_problems(drafts, [2, 4, 6]) == []
            assert [d.position for d in drafts] == list(range(1, len(drafts) + 1))
            sizes_seen.update(d.block_size for d in drafts)
        assert set(sizes_seen) == {2, 4, 6}

    def test_same_seed_gives_the_same_list_and_another_seed_another(self) -> None:
        def draw(seed: str) -> list[allocation.SlotDraft]:
            return allocation.blocks_draw(seed=seed, key="AZA", block_sizes=[4, 6], slots=40)

        assert draw("a") == draw("a")
        assert draw("a") != draw("b")

    def test_arms_are_balanced_at_the_end_of_every_block(self) -> None:
        drafts = allocation.blocks_draw(seed="x", key="k", block_sizes=[2, 4, 6], slots=200)

        running = 0
        for current, following in zip(drafts, [*drafts[1:], None], strict=True):
            running += 1 if current.arm == allocation.DEX else -1
            if following is None or following.block_number != current.block_number:
                assert running == 0
            assert abs(running) <= 3

    def test_a_problem_is_found_in_an_unbalanced_block(self) -> None:
        drafts = [allocation.SlotDraft(1, 1, 2, "DEX"), allocation.SlotDraft(2, 1, 2, "DEX")]

        assert allocation.blocks_problems(drafts, [2]) == ["block 1: not balanced 1:1"]


def _simulate_minimization(seed: int, patients: int, probability: float) -> dict:
    rng = random.Random(seed)
    counts: dict[tuple[str, str], dict[str, int]] = {}
    totals = Counter[str]()
    for sequence in range(1, patients + 1):
        levels = {
            "regimen": rng.choice(["IC", "AZA"]),
            "disease_status": rng.choice(["first_relapse", "refractory"]),
            "site": rng.choice(["PAR", "LYO", "LIL", "TLS"]),
        }
        decision = allocation.minimization_choose(
            counts=counts, levels=levels, probability=probability, seed=str(seed), sequence=sequence
        )
        for factor, level in levels.items():
            cell = counts.setdefault((factor, level), {})
            cell[decision.arm] = cell.get(decision.arm, 0) + 1
        totals[decision.arm] += 1
    marginal = max(abs(c.get("DEX", 0) - c.get("CTRL", 0)) for c in counts.values())
    return {"total": abs(totals["DEX"] - totals["CTRL"]), "marginal": marginal}


class TestMinimizationChoose:
    def test_marginal_imbalance_stays_small_over_many_seeds(self) -> None:
        outcomes = [_simulate_minimization(seed, 142, 0.8) for seed in range(100)]
        coin = [_simulate_minimization(seed, 142, 0.5) for seed in range(100)]

        mean = sum(o["marginal"] for o in outcomes) / len(outcomes)
        assert mean <= 4
        assert max(o["marginal"] for o in outcomes) <= 10
        assert max(o["total"] for o in outcomes) <= 6
        # Probability 0.5 is a coin toss: minimization must do several times better.
        assert mean * 3 < sum(o["marginal"] for o in coin) / len(coin)

    def test_the_minimising_arm_is_followed_with_the_configured_probability(self) -> None:
        counts = {("regimen", "IC"): {"DEX": 3, "CTRL": 0}}
        decisions = [
            allocation.minimization_choose(
                counts=counts, levels={"regimen": "IC"}, probability=0.8, seed="s", sequence=n
            )
            for n in range(2000)
        ]

        share = sum(d.arm == "CTRL" for d in decisions) / len(decisions)
        assert all(d.preferred == "CTRL" for d in decisions)
        assert 0.76 < share < 0.84

    def test_a_decision_is_reproducible_from_the_seed(self) -> None:
        def decide() -> allocation.MinimizationDecision:
            return allocation.minimization_choose(
                counts={}, levels={"regimen": "AZA"}, probability=0.8, seed="q", sequence=7
            )

        assert decide() == decide()
