# Update signing for build.sh (sourced; uses its variables arch, out, cache, bundle,
# signing_key, signing_cert, here, log).
# signing_setup: settles the certificate the image trusts. Without --signing-cert, a
# development key and certificate made once in the cache, with a warning: anyone holding
# this build cache can sign updates for such an image.
signing_setup() {
  if [ -z "$signing_cert" ]; then
    local dev="$cache/dev-signing"
    if [ ! -s "$dev/cert.pem" ]; then
      mkdir -p "$dev" && chmod 0700 "$dev"
      openssl req -x509 -newkey rsa:3072 -nodes -days 36500 -subj '/O=Colony/CN=Colony development signing (not for real machines)' \
        -keyout "$dev/key.pem" -out "$dev/cert.pem" 2>/dev/null
    fi
    signing_cert="$dev/cert.pem"
    [ -n "$signing_key" ] || signing_key="$dev/key.pem"
    cat >&2 <<WARN
image: ************************************************************************************
image: WARNING: no --signing-cert: this image trusts the DEVELOPMENT update key in
image:   $dev
image: Anyone with that file can sign updates for it. For a real machine make your own key
image: (see image/README.md) and build with --signing-cert.
image: ************************************************************************************
WARN
  fi
  [ -s "$signing_cert" ] || { echo "image: --signing-cert $signing_cert: no such file" >&2; exit 2; }
  if [ "$bundle" = 1 ] && [ ! -s "$signing_key" ]; then
    echo "image: --bundle needs --signing-key KEY (the key of --signing-cert)" >&2; exit 2
  fi
}

# make_bundle: colony-ARCH.raucb of the image just built (or found up to date), cached by
# the image's key and the signing pair.
make_bundle() {
  local file="$out/colony-$arch.raucb" key
  key="$(cat "$out/colony-$arch.key") $(cat "$signing_key" "$signing_cert" | sha256sum | cut -c1-16)"
  if [ -s "$file" ] && [ "$(cat "$file.key" 2>/dev/null)" = "$key" ]; then
    log "$file is up to date"; return 0
  fi
  log "update bundle: $file"
  rm -f "$file.key"
  "$here/update/bundle.sh" --image "$out/colony-$arch.img" --arch "$arch" --key "$signing_key" \
    --cert "$signing_cert" --out "$file"
  echo "$key" > "$file.key"
}
