"""The lines of a failed stage's log that say why it failed, for the end of the test run's report.

`python scripts/failure_digest.py LOG`: the first few task failures, assertion lines and errors, then
pytest's FAILED summary lines, without colours or molecule's frame, each cut to a few hundred characters.
The whole log prints earlier in the run; this is what shows in the last lines a CI page keeps, so the
lines that name the failed tests come last."""
import re
import sys

COLOUR = re.compile(r'\x1b\[[0-9;]*[A-Za-z]')
FRAME = re.compile(r'^\s*[\u2502\u2514\u250c|]\s?')
SUMMARY = re.compile(r'^FAILED \S+')
TELLING = re.compile(r'^fatal: \[|^failed: \[|^ERROR\b|^E {3}|Idempotence test failed|^CRITICAL|Traceback|'
                     r'^\S+Error: |FAILED! =>')
WIDTH = 240


def digest(lines, summaries=4, others=3):
    cleaned = [FRAME.sub('', COLOUR.sub('', line)).rstrip() for line in lines]
    failed = [line for line in cleaned if SUMMARY.match(line)]
    telling = []
    for line in cleaned:
        if TELLING.search(line) and line not in telling:
            telling.append(line)
    picked = telling[:others] + failed[:summaries]
    return [line if len(line) <= WIDTH else line[:WIDTH - 3] + '...' for line in picked]


if __name__ == '__main__':
    with open(sys.argv[1], errors='replace') as log:
        found = digest(log)
    print('\n'.join('  ' + line for line in found) if found else '  (no telling line found; see the stage\'s log above)')
