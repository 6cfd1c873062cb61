"""Pure feature math for callcoach: numpy/scipy/librosa arrays in, arrays out.

Modules: ``signal`` (audio validation), ``binarize`` (frames to intervals), ``intervals``
(interval set arithmetic), ``loudness``, ``pitch``, ``bleed`` (cross-channel leakage),
``turns`` (turn-taking) and ``raised`` (raised voice). Nothing here reads files, config or
the environment.
"""
