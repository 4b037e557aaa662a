"""The board's accountability (*verantwoordingsplicht*, AVG art. 5(2)): retention clocks and the
destruction list, interns' time-boxed access, requests of the people concerned, the register of
processing activities (art. 30) and the yearly privacy checklist with its evidence.
docs/accountability.md."""
