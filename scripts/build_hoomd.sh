#!/usr/bin/env bash
# Build the CPU-only HOOMD-blue Python package from source and make it importable in a venv.
#
#   scripts/build_hoomd.sh SRC_DIR_OR_TARBALL [--venv PATH] [--jobs N]
#
# HOOMD-blue is not on PyPI; conda users get it (with GPU builds) from conda-forge (environment.yml).
# This is the pip users' path, following the verified recipe in ../shared/vendor/README.md
# (Eigen from apt, pybind11 2.13.6 from PyPI, CPU-only CMake flags).
#
# The build is done once, into a cache OUTSIDE the clone keyed by HOOMD version and Python version:
#   ${SILICA_HOOMD_CACHE:-$HOME/.cache/silica-explorer}/hoomd-<version>-<python tag>/hoomd
# A second call (any clone, same machine) finds the cache and only copies the package into the venv
# (seconds). The package is copied, not linked with a .pth file, so the venv keeps working if the
# cache is removed. Environment: SILICA_HOOMD_VENV (default: the repo's .venv), SILICA_HOOMD_CACHE,
# SILICA_HOOMD_JOBS (default 2). The compile runs under `nice`.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
usage() { echo "usage: $0 SRC_DIR_OR_TARBALL [--venv PATH] [--jobs N]" >&2; exit 2; }
[ $# -ge 1 ] || usage
SRC=$1; shift
VENV=${SILICA_HOOMD_VENV:-$REPO/.venv}
JOBS=${SILICA_HOOMD_JOBS:-2}
while [ $# -gt 0 ]; do
    case "$1" in
        --venv) VENV=$2; shift 2 ;;
        --jobs) JOBS=$2; shift 2 ;;
        *) usage ;;
    esac
done
PY=$VENV/bin/python
[ -x "$PY" ] || { echo "build_hoomd: no python at $PY (make the venv first: scripts/setup.sh, or pass --venv)" >&2; exit 2; }
[ -e "$SRC" ] || { echo "build_hoomd: source $SRC does not exist (a hoomd-blue source tree or .tar.gz)" >&2; exit 2; }
SRC=$(cd "$(dirname "$SRC")" && pwd)/$(basename "$SRC")

# HOOMD version: from the tree's CMakeLists.txt (for a tarball: read it from the archive)
if [ -d "$SRC" ]; then
    VERSION=$(sed -n 's/^set(HOOMD_VERSION_RAW "\(.*\)")/\1/p' "$SRC/CMakeLists.txt")
else
    CM=$(tar -tzf "$SRC" | awk '/^[^\/]+\/CMakeLists\.txt$/ && !f {print; f=1}')  # reads all: no SIGPIPE
    VERSION=$(tar -xzOf "$SRC" "$CM" | sed -n 's/^set(HOOMD_VERSION_RAW "\(.*\)")/\1/p')
fi
[ -n "$VERSION" ] || { echo "build_hoomd: cannot read HOOMD_VERSION_RAW from $SRC" >&2; exit 2; }
case "$VERSION" in [0-3].*) echo "build_hoomd: HOOMD $VERSION is older than 4; silica-explorer needs HOOMD >= 4" >&2; exit 2 ;; esac
PYTAG=$("$PY" -c 'import sys; print(f"{sys.implementation.name}{sys.version_info[0]}{sys.version_info[1]}")')
CACHE_ROOT=${SILICA_HOOMD_CACHE:-$HOME/.cache/silica-explorer}
CACHE=$CACHE_ROOT/hoomd-$VERSION-$PYTAG
SITE=$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')

if [ -f "$CACHE/COMPLETE" ] && [ -f "$CACHE/hoomd/__init__.py" ]; then
    echo "build_hoomd: using cached HOOMD $VERSION ($PYTAG) in $CACHE"
else
    start=$(date +%s)
    echo "build_hoomd: building HOOMD $VERSION for $PYTAG into $CACHE (CPU only; ~15-30 min on 2 cores)"
    # build prerequisites: Eigen headers (apt), numpy and pybind11 (PyPI; Debian's pybind11 is too old)
    if [ ! -f /usr/include/eigen3/Eigen/Core ]; then
        if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
            apt-get update -qq >/dev/null
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libeigen3-dev >/dev/null
        else
            echo "build_hoomd: Eigen >= 3.2 headers are missing; install libeigen3-dev (as root) and re-run" >&2
            exit 1
        fi
    fi
    "$PY" -m pip install -q numpy "pybind11==2.13.6"
    mkdir -p "$CACHE_ROOT"
    WORK=$(mktemp -d "$CACHE_ROOT/build-hoomd-$VERSION.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
    if [ -d "$SRC" ]; then
        TREE=$SRC
    else
        tar -xzf "$SRC" -C "$WORK"
        TREE=$WORK/$(dirname "$CM")
    fi
    STAGE=$WORK/stage
    nice -n 5 cmake -B "$WORK/build" -S "$TREE" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$STAGE" \
        -DENABLE_GPU=off -DENABLE_MPI=off -DENABLE_TBB=off -DENABLE_LLVM=off -DBUILD_MD=on \
        -DBUILD_HPMC=off -DBUILD_METAL=off -DBUILD_MPCD=off -DBUILD_TESTING=off -DPLUGINS="" \
        -DPython_EXECUTABLE="$PY" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >"$WORK/configure.log" \
        || { cat "$WORK/configure.log" >&2; exit 1; }
    nice -n 5 cmake --build "$WORK/build" -j"$JOBS"
    cmake --install "$WORK/build" >/dev/null
    [ -f "$STAGE/hoomd/__init__.py" ] || { echo "build_hoomd: install did not produce $STAGE/hoomd" >&2; exit 1; }
    # publish the cache atomically: a killed build leaves no half-filled cache behind
    mkdir -p "$CACHE_ROOT"
    rm -rf "$CACHE.tmp"
    mkdir "$CACHE.tmp"
    mv "$STAGE/hoomd" "$CACHE.tmp/hoomd"
    echo "HOOMD $VERSION $PYTAG built $(date -u +%FT%TZ) in $(( $(date +%s) - start )) s from $(basename "$SRC")" >"$CACHE.tmp/COMPLETE"
    rm -rf "$CACHE"
    mv "$CACHE.tmp" "$CACHE"
    echo "build_hoomd: built in $(( $(date +%s) - start )) s"
fi

# install into the venv: a copy of the cached package (replaces any earlier copy)
rm -rf "$SITE/hoomd.tmp"
cp -a "$CACHE/hoomd" "$SITE/hoomd.tmp"
rm -rf "$SITE/hoomd"
mv "$SITE/hoomd.tmp" "$SITE/hoomd"
"$PY" -c 'import hoomd; v = hoomd.version; print(f"build_hoomd: hoomd {v.version} importable from {hoomd.__file__} (gpu={v.gpu_enabled}, mpi={v.mpi_enabled})")'
