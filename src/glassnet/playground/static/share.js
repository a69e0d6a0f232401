// A share link's weights: the parameters as float32, little-endian, base64url (see links.py).

export function encodeWeights(params) {
  const bytes = new Uint8Array(params.buffer, params.byteOffset, params.byteLength);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
