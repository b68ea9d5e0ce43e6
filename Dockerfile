# HeroProc in a container. Build: docker build -t heroproc .   Run: see docker-compose.yml.
# The SDK stage needs a C compiler: 'dotnet publish' builds the per-job shim (HeroProc.Api/Shim).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN dotnet publish HeroProc.Api -c Release -o /app

# The runtime image has no curl: the health check asks the server binary itself (--self-check).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
RUN useradd --system --create-home --uid 10001 heroproc && mkdir -p /data && chown heroproc /data && chmod 0700 /data
WORKDIR /app
COPY --from=build /app .
USER heroproc
ENV ASPNETCORE_URLS=http://0.0.0.0:5180 \
    HeroProc__DataDir=/data
VOLUME /data
EXPOSE 5180
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["dotnet", "/app/HeroProc.Api.dll", "--self-check"]
ENTRYPOINT ["dotnet", "/app/HeroProc.Api.dll"]
