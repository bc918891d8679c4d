#!/usr/bin/env bash
# sieve — launcher for the Sieve CLI.
#
#   ./sieve test [MAVEN ARGS]   build and run every test (mvn -B verify) under a JDK 25
#   ./sieve build               (re)build the CLI jar
#   ./sieve mvn [MAVEN ARGS]    run Maven under the JDK 25 it finds (in the current directory)
#   ./sieve COMMAND [ARGS]      run the CLI (builds the jar first when missing or older than the sources)
#
# Finds a JDK 25 or newer in this order: $JAVA_HOME, `java` on PATH, the system's JVM folders.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
JAR="$ROOT/server/target/sieve.jar"
REQUIRED_MAJOR=25
# protobuf-java (tokenizer.model reader) still uses sun.misc.Unsafe; allow it without a warning per run.
JVM_FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Djava.awt.headless=true)

die() { echo "sieve: $*" >&2; exit 1; }

# Prints the major Java version of a java binary (e.g. 25), or nothing.
java_major() {
  "$1" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n 1
}

# Prints the JAVA_HOME of the first JDK >= 25 (with javac, so Maven can compile), or fails.
find_jdk() {
  local candidates=() seen=() c home major
  declare -A checked=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(readlink -f "$(command -v java)")")
  fi
  for c in /usr/lib/jvm/*/bin/java /usr/java/*/bin/java /opt/java/*/bin/java /opt/*jdk*/bin/java \
           /Library/Java/JavaVirtualMachines/*/Contents/Home/bin/java "$HOME"/.sdkman/candidates/java/*/bin/java; do
    [ -x "$c" ] && candidates+=("$c")
  done
  for c in "${candidates[@]}"; do
    [ -x "$c" ] || continue
    home="$(cd "$(dirname "$c")/.." && pwd -P)"
    [ -n "${checked[$home]:-}" ] && continue
    checked[$home]=1
    major="$(java_major "$c")"
    seen+=("$home (${major:-unknown})")
    if [ -n "$major" ] && [ "$major" -ge "$REQUIRED_MAJOR" ] && [ -x "$home/bin/javac" ]; then
      echo "$home"
      return 0
    fi
  done
  local found="none"
  [ "${#seen[@]}" -gt 0 ] && found="$(printf '%s, ' "${seen[@]}")" && found="${found%, }"
  die "no JDK $REQUIRED_MAJOR or newer found (checked JAVA_HOME, java on PATH, /usr/lib/jvm; found: $found). Install a JDK $REQUIRED_MAJOR (e.g. Temurin 25) or set JAVA_HOME to one."
}

maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not on PATH; install Maven 3.8 or newer (Debian: apt-get install maven)."
  (cd "$ROOT" && JAVA_HOME="$JDK" PATH="$JDK/bin:$PATH" mvn "$@")
}

# True when the CLI jar is missing or any build input is newer than it.
jar_is_stale() {
  [ -f "$JAR" ] || return 0
  [ -n "$(find "$ROOT/pom.xml" "$ROOT"/*/pom.xml "$ROOT"/*/src/main -newer "$JAR" -print -quit 2>/dev/null)" ]
}

build_jar() {
  echo "sieve: building the CLI jar with Maven (first run takes a minute)..." >&2
  if ! maven -B -q -DskipTests -pl server -am package >"$ROOT/.sieve-build.log" 2>&1; then
    cat "$ROOT/.sieve-build.log" >&2
    die "the build failed (log above, also in .sieve-build.log)"
  fi
  rm -f "$ROOT/.sieve-build.log"
}

drop_incubator_notice() {
  local first
  if IFS= read -r first; then
    [ "$first" = "WARNING: Using incubator modules: jdk.incubator.vector" ] || printf '%s\n' "$first"
    exec cat
  fi
  [ -n "${first:-}" ] && printf '%s' "$first"   # stderr without a newline at all
  return 0
}

JDK="$(find_jdk)"

case "${1:-}" in
  test)
    shift
    maven -B verify "$@"
    ;;
  build)
    build_jar
    ;;
  mvn)
    shift
    command -v mvn >/dev/null 2>&1 || die "Maven (mvn) is not on PATH; install Maven 3.8 or newer (Debian: apt-get install maven)."
    JAVA_HOME="$JDK" PATH="$JDK/bin:$PATH" mvn "$@"
    ;;
  *)
    if jar_is_stale; then build_jar; fi
    # OpenBLAS 0.3.21 (Debian 12) does not recognise recent Xeons and falls back to its SSE3
    # "Prescott" kernels; give the benchmark peer its AVX-512 kernels unless the user chose.
    if [ "${1:-}" = bench ] && [ -z "${OPENBLAS_CORETYPE:-}" ] && grep -qw avx512f /proc/cpuinfo 2>/dev/null; then
      if grep -qw avx512_bf16 /proc/cpuinfo; then export OPENBLAS_CORETYPE=Cooperlake; else export OPENBLAS_CORETYPE=SkylakeX; fi
    fi
    # OpenBLAS's idle threads spin for 2^28 cycles (~0.1 s) after each call before sleeping; on a
    # machine with few cores that spinning takes the cores from Sieve's runs interleaved with the
    # peer's, so the benchmark lets them sleep after 2^4 cycles unless the user chose.
    if [ "${1:-}" = bench ] && [ -z "${OPENBLAS_THREAD_TIMEOUT:-}" ]; then export OPENBLAS_THREAD_TIMEOUT=4; fi
    # The JVM announces incubator modules on every start; drop that first line, pass the rest of
    # stderr through unbuffered (progress output), and keep stdout untouched.
    set +e
    { "$JDK/bin/java" "${JVM_FLAGS[@]}" "-Dsieve.home=$ROOT" ${SIEVE_JAVA_OPTS:-} -jar "$JAR" "$@" 2>&1 1>&3 3>&- \
        | drop_incubator_notice >&2; } 3>&1
    status=${PIPESTATUS[0]}
    exit $status
    ;;
esac
