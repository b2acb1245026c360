"""Long synchronous work on the event loop gives other tasks a turn every budget."""

from __future__ import annotations

import asyncio

from streams.agents.turns import Turns


def test_other_tasks_run_once_the_budget_is_spent_and_not_before() -> None:
    async def scenario() -> None:
        now = [0.0]
        turns = Turns(0.02, clock=lambda: now[0])
        ran: list[float] = []

        async def other() -> None:
            ran.append(now[0])

        def waiting() -> None:
            asyncio.get_running_loop().create_task(other())

        waiting()
        now[0] = 0.019
        await turns.take()  # within the budget: keeps the loop
        assert ran == []
        now[0] = 0.021
        await turns.take()  # spent: the waiting task runs now
        assert ran == [0.021]
        waiting()
        now[0] = 0.03
        await turns.take()  # the budget starts again from the last turn
        assert ran == [0.021]
        now[0] = 0.045
        await turns.take()
        assert ran == [0.021, 0.045]

    asyncio.run(scenario())
