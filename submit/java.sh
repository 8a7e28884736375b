#!/usr/bin/env bash
# Prints the java the launchers run: $JAVA_HOME/bin/java when JAVA_HOME is set, else java on PATH. It must be Java
# 17: the project's release (pom.xml) and the newest Spark 3.5 supports; a later JVM fails inside Spark with a stack
# trace. Otherwise one line says what was found where, and the exit is 2 (bad configuration).
set -euo pipefail
need="Hunmin needs Java 17 (set JAVA_HOME to a JDK 17)"
if [[ -n "${JAVA_HOME:-}" ]]; then
  java="$JAVA_HOME/bin/java"
  [[ -x "$java" ]] || { echo "java.sh: JAVA_HOME=$JAVA_HOME has no bin/java; $need" >&2; exit 2; }
else
  java="$(command -v java || true)"
  [[ -n "$java" ]] || { echo "java.sh: no java on PATH and JAVA_HOME is not set; $need" >&2; exit 2; }
fi
# 'openjdk version "17.0.15" 2025-04-15', 'java version "1.8.0_392"', 'openjdk version "25" 2025-09-16'
version="$("$java" -version 2>&1 | sed -n 's/^[^"]* version "\([^"]*\)".*/\1/p' | head -1 || true)"
major="${version#1.}"
[[ "$version" == 1.* ]] || major="$version"
major="${major%%[.+_-]*}"
[[ "$major" == 17 ]] || { echo "java.sh: $java is Java ${version:-of no version it would say}; $need" >&2; exit 2; }
echo "$java"
