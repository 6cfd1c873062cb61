"""Pure feature math for callcoach: numpy/scipy/librosa arrays in, arrays out.

Modules: ``signal`` (audio validation), ``binarize`` (frames to intervals), ``intervals``
(interval set arithmetic), ``loudness``, ``pitch``, ``bleed`` (cross-channel leakage),
``turns`` (turn-taking), ``raised`` (raised voice) and ``effort`` (vocal effort from the
spectrum's tilt). Nothing here reads files, config or the environment.
"""
