"""``python -m lossbook build | list | losses | site | student [--run] [--force]``.

build    copy notebooks/ to build/notebooks/, execute every notebook there in course order
         (which regenerates figures/), print one line per notebook as it finishes, render the
         HTML site into site/; exit 1 if any notebook fails. notebooks/ is only read.
list     print the course map.
losses   print the table of lossbook's functions: notebooks, source file, test file.
site     render site/ from notebooks/ as stored (with their committed outputs), executing
         nothing: a quick preview of the site.
student  write build/student/: every notebook with its solutions removed and its outputs
         cleared, the edition a learner works in and a teacher hands out. --run also executes
         it in a scratch copy and exits 1 if a notebook breaks; --force replaces an edition
         whose notebooks have changed.

The course is the checkout the running lossbook comes from, or the folder given with --root.
A command that cannot work on it (no notebooks/, no notebooks, a folder it cannot write) says
why in one line, exits 2 and deletes nothing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lossbook.course.checkout import CourseError, repo_root

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", type=Path, default=None,
                        help="the course folder (default: the checkout lossbook is imported from)")
    parser = argparse.ArgumentParser(prog="python -m lossbook", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    commands.add_parser("build", parents=[common], help="execute the notebooks, render the site")
    commands.add_parser("list", parents=[common], help="print the course map")
    commands.add_parser("losses", parents=[common],
                        help="print where each function is taught, written and tested")
    commands.add_parser("site", parents=[common], help="render the site from the stored notebooks")
    student = commands.add_parser("student", parents=[common], help="write the student edition")
    student.add_argument("--run", action="store_true",
                         help="also execute the student edition; exit 1 if a notebook fails "
                              "(exercise stubs print 'not yet', they do not raise)")
    student.add_argument("--force", action="store_true",
                         help="replace an edition whose notebooks have changed")
    args = parser.parse_args(argv)
    try:
        root = (args.root or repo_root()).resolve()
        return _run(args.command, root, run=getattr(args, "run", False),
                    force=getattr(args, "force", False))
    except CourseError as error:
        print(f"python -m lossbook {args.command}: {error}", file=sys.stderr)
        return 2


def _run(command: str, root: Path, *, run: bool, force: bool) -> int:
    if command == "list":
        from lossbook.course.chapters import course_table

        print(course_table(root / "notebooks"))
        return 0
    if command == "losses":
        from lossbook.course.reference import loss_table

        print(loss_table())
        return 0
    if command == "student":
        from lossbook.course.student import student

        return student(root, run=run, force=force)
    if command == "site":
        from lossbook.course.checkout import require_course, require_writable
        from lossbook.course.site import render_site

        require_course(root)
        for folder in (root / "build", root / "site"):
            require_writable(folder if folder.is_dir() else root)
        status = render_site(root / "notebooks", root / "site")
        failed = [f"{stem}: {why}" for stem, why in status.items() if why != "ok"]
        print(f"site: {root / 'site' / 'index.html'} ({len(status) - len(failed)} notebooks, "
              "as stored)")
        for line in failed:
            print(f"  {line}")
        return 1 if failed else 0
    from lossbook.course.build import build

    return build(root)


if __name__ == "__main__":
    sys.exit(main())
