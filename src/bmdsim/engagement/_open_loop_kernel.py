"""Compiled boost segments of :func:`bmdsim.engagement.kinematics.fly_open_loop`.

The kernel is the flight layer's :func:`bmdsim.flight._boost_kernel.boost_segment` (classical
RK4 with fixed steps per interceptor, bit-identical to :func:`bmdsim.core.integrate.rk4`; a
segment in which an interceptor reaches the ground is reported in ``crossed`` and redone by
the numpy driver).
"""

from __future__ import annotations

from bmdsim.flight._boost_kernel import boost_segment

__all__ = ["boost_segment"]
