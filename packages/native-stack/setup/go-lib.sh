# shellcheck shell=bash
# The Go builds (sourced, not run; sources lib.sh): the Go check and go_build, used by the
# build-*.sh scripts here and in containers/. The sourcing script sets LOG_PREFIX first.
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# At most this many Go compiles at a time, across every set-up script using this cache: each one
# already uses every core, and the big ones take GBs of memory.
GO_COMPILE_SLOTS=2

# require_go [what]: Go >= GO_MIN_VERSION on PATH (or in /usr/local/go), or a clear error.
require_go() {
  local what="${1:-this}"
  # Go's standard install location is often not on PATH of non-login shells.
  if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
    PATH="/usr/local/go/bin:$PATH"
    export PATH
  fi
  command -v go >/dev/null 2>&1 || die "'go' is not on PATH. Install Go $GO_MIN_VERSION or newer (https://go.dev/dl/) and re-run setup; $what is built from its Go module source."
  # GOVERSION is the toolchain `go` will actually use (it honours GOTOOLCHAIN).
  local have
  have="$(go env GOVERSION 2>/dev/null)" || have="unknown"
  version_at_least "$have" "$GO_MIN_VERSION" \
    || die "Go $GO_MIN_VERSION or newer is required to build $what (found ${have} at $(command -v go)). Install a newer Go (https://go.dev/dl/), or, with Go >= 1.21, let it fetch the toolchain: GOTOOLCHAIN=go$GO_MIN_VERSION npm run setup"
}

# fetch_module_source <module> <version> <dest>: a writable copy of the module's source (the
# module cache is read-only; go build may touch go.sum). Run outside any module, so
# `go mod download` treats the argument as a plain module query.
# promu_ldflags RELEASE MODULE_VERSION: the -X flags the Prometheus projects' release tool (promu)
# sets, so `<program> --version` names the release instead of a blank one.
promu_ldflags() {
  printf -- '-X github.com/prometheus/common/version.Version=%s -X github.com/prometheus/common/version.Revision=gomod-%s -X github.com/prometheus/common/version.Branch=HEAD' "${1#v}" "$2"
}

fetch_module_source() {
  local module="$1" version="$2" dest="$3" mod_json mod_dir
  if ! mod_json="$(cd "$(dirname "$dest")" && GOFLAGS=-mod=mod go mod download -json "$module@$version")"; then
    printf '%s\n' "${mod_json:-}" >&2
    die "could not download $module@$version (is the Go module proxy reachable? see 'go env GOPROXY')"
  fi
  mod_dir="$(printf '%s\n' "$mod_json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$mod_dir" && -f "$mod_dir/go.mod" ]] || die "go mod download returned no source dir for $module@$version"
  cp -R "$mod_dir" "$dest"
  chmod -R u+w "$dest"
}

# with_compile_slot cmd...: runs cmd holding one of GO_COMPILE_SLOTS lock files (flock; the lock
# goes with the process, also when it is killed).
with_compile_slot() {
  local i fd rc=0 waited=0
  mkdir -p "$CACHE_DIR"
  while :; do
    for (( i = 1; i <= GO_COMPILE_SLOTS; i++ )); do
      exec {fd}>"$CACHE_DIR/.go-compile-slot-$i.lock"
      if flock -n "$fd"; then
        "$@" || rc=$?
        exec {fd}>&-
        return "$rc"
      fi
      exec {fd}>&-
    done
    (( waited++ % 15 )) || log "waiting for a compile slot ($GO_COMPILE_SLOTS Go compiles at a time)"
    sleep 1
  done
}

# go_build: builds Go binaries into the cache, unless they are all there already.
#   --module MODULE@VERSION   the Go module (messages name it; required unless --source-from)
#   --bin PACKAGE OUTPUT      PACKAGE (relative to the module root: ".", "./cmd/x") built to
#                             OUTPUT (absolute, in the cache); repeatable
#   --from-source             build in a copy of the module's source (`go mod download`) as the
#                             main module, for modules whose go.mod has replace or exclude
#                             directives (`go install MODULE/PACKAGE@VERSION` refuses them).
#                             Default: that `go install`, outside any module.
#   --source-from FUNCTION    like --from-source, but `FUNCTION <dir>` writes the main module
#                             into <dir> (the Collector: the OpenTelemetry Collector Builder)
#   --what TEXT               how messages name it (default: MODULE@VERSION)
#   --ldflags FLAGS           -ldflags after "-s -w"
#   --env VAR=VALUE           for every go command (CGO_ENABLED, GOWORK, GOFLAGS); repeatable
#   --check ARGS GLOB         the first binary, run with ARGS (split on spaces), must print a
#                             first line matching GLOB
# Always -trimpath; the caller's GOFLAGS do not apply (pinned, reproducible builds).
# stdout: the OUTPUTs, one a line. Progress on stderr. Exits non-zero with a clear error.
# Each OUTPUT appears by one rename once all are built and checked. Dependencies are fetched
# before the compile, which holds one of the GO_COMPILE_SLOTS.
go_build() (
  set -e # also when called in $(...), which drops it
  local module="" version="" source="" what="" ldflags="-s -w" check_args="" check_glob=""
  local pkgs=() outs=() env=(GOFLAGS=)
  while (( $# )); do
    case "$1" in
      --module) module="${2%@*}"; version="${2#*@}"; shift 2 ;;
      --bin) pkgs+=("$2"); outs+=("$3"); shift 3 ;;
      --from-source) source=fetch_module_source; shift ;;
      --source-from) source="$2"; shift 2 ;;
      --what) what="$2"; shift 2 ;;
      --ldflags) ldflags+=" $2"; shift 2 ;;
      --env) env+=("$2"); shift 2 ;;
      --check) check_args="$2"; check_glob="$3"; shift 3 ;;
      *) die "go_build: unknown option '$1'" ;;
    esac
  done
  what="${what:-$module@$version}"
  if (( ${#outs[@]} == 0 )) || [[ -z "$module" && -z "$source" ]]; then
    die "go_build: needs --bin and --module or --source-from"
  fi

  local out all_there=1
  for out in "${outs[@]}"; do [[ -x "$out" ]] || all_there=0; done
  if (( all_there )); then
    printf '%s\n' "${outs[@]}"
    return 0
  fi

  require_go "$what"
  mkdir -p "$CACHE_DIR"
  local scratch start=$SECONDS i pkg
  scratch="$(mktemp -d "$CACHE_DIR/.go-build-$(basename "${outs[0]}")-XXXXXX")" || die "cannot write to $CACHE_DIR"
  trap 'rm -rf "$scratch"' EXIT
  # A signal (bg_stop, Ctrl-C) ends the build through the EXIT trap, so the scratch dir goes too.
  trap 'exit 143' TERM HUP
  trap 'exit 130' INT
  mkdir "$scratch/bin"

  if [[ -n "$source" ]]; then
    log "fetching $what"
    if [[ "$source" == fetch_module_source ]]; then
      fetch_module_source "$module" "$version" "$scratch/src"
    else
      "$source" "$scratch/src"
    fi
    # The build's dependencies, fetched before taking a compile slot (network, not CPU); a
    # failure here shows again, with its cause, in the build.
    run_logged "fetching the dependencies" "$scratch/deps.log" \
      env -C "$scratch/src" "${env[@]}" go list -deps "${pkgs[@]}" \
      || log "fetching the dependencies failed; go build retries it"
    log "compiling ${pkgs[*]} of $what (a cold build takes minutes)"
    for i in "${!pkgs[@]}"; do
      with_compile_slot run_logged "go build ${pkgs[i]}" "$scratch/build-$i.log" \
        env -C "$scratch/src" "${env[@]}" \
        go build -trimpath -buildvcs=false -ldflags="$ldflags" -o "$scratch/bin/$i" "${pkgs[i]}" \
        || die "go build of $what (${pkgs[i]}) failed (log above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
    done
  else
    log "compiling $what (go install; a cold build takes minutes)"
    for i in "${!pkgs[@]}"; do
      pkg="$module${pkgs[i]#.}@$version"
      # An empty GOBIN per package: the one file in it is the binary.
      with_compile_slot run_logged "go install $pkg" "$scratch/build-$i.log" \
        env -C "$scratch" GOBIN="$scratch/gobin-$i" "${env[@]}" \
        go install -trimpath -ldflags="$ldflags" "$pkg" \
        || die "go install $pkg failed (log above). Check 'go version' (needs >= $GO_MIN_VERSION) and that the Go module proxy serves its dependencies"
      mv "$scratch/gobin-$i"/* "$scratch/bin/$i"
    done
  fi

  if [[ -n "$check_glob" ]]; then
    local have
    # shellcheck disable=SC2086 # ARGS are words
    have="$("$scratch/bin/0" $check_args 2>&1)" || die "the built $(basename "${outs[0]}") does not run ($check_args): $have"
    have="${have%%$'\n'*}"
    # shellcheck disable=SC2053 # a glob on purpose
    [[ "$have" == $check_glob ]] || die "the built $(basename "${outs[0]}") reports '$have' for '$check_args', expected $check_glob"
  fi
  for i in "${!outs[@]}"; do install_atomic "$scratch/bin/$i" "${outs[i]}"; done
  log "built in $((SECONDS - start))s: ${outs[*]}"
  printf '%s\n' "${outs[@]}"
)
