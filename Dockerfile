# bpsim container: build with the release preset, run as a non-root user.
#
#   docker build -t bpsim .
#   docker run --rm bpsim                      # bpsim run: the scenario library
#   docker run --rm -v "$PWD/out:/home/bpsim/out" bpsim run scenarios/fraud
#
# Dependencies come from Debian 12 packages only, as in a local build.

# --- builder -------------------------------------------------------------------
FROM debian:12-slim AS builder

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      g++ cmake ninja-build \
      libboost-dev libyaml-cpp-dev nlohmann-json3-dev catch2 libbenchmark-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
COPY . .

# Tests and benchmarks are built and run in CI, not in the image.
RUN cmake --preset release -DBPSIM_BUILD_TESTS=OFF -DBPSIM_BUILD_BENCH=OFF \
 && cmake --build --preset release -j2 --target bpsim \
 && strip build/release/bpsim

# --- runtime -------------------------------------------------------------------
FROM debian:12-slim

# bpsim links yaml-cpp and OpenSSL's libcrypto dynamically; Boost and nlohmann/json
# are header-only here, and libstdc++ is already in the base image.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libyaml-cpp0.7 libssl3 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --home-dir /home/bpsim --shell /usr/sbin/nologin --uid 10001 bpsim

COPY --from=builder /src/build/release/bpsim /usr/local/bin/bpsim
COPY --chown=bpsim:bpsim scenarios/ /home/bpsim/scenarios/

USER bpsim
# Scenarios are found under ./scenarios and reports are written to ./out (default
# --out), both inside this writable home directory.
WORKDIR /home/bpsim

ENTRYPOINT ["bpsim"]
CMD ["run"]
