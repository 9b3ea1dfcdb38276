"""An agent connects to Paperboy's MCP server with the official MCP Python SDK (streamable HTTP)
and uses every tool: search, a paper, a day's and what trends, similar papers, and reading a
paper; a refusal is a tool error the model can read, an argument of the wrong type or an unknown
tool an MCP error, and the session goes on after each; two sessions run side by side. Raw
requests that are not MCP (not JSON-RPC, a batch, a session never issued or already ended, a
megabyte of arguments, an unknown protocol version) are refused or negotiated, never a failure of
the server. With a member's personal API token the agent sees the member's tools too (reading
list, save, for you); once the token is revoked, its next request is refused.

Run by the `clients` integration tests with the server's address; the server holds the site
tests' sample papers, 2605.00003 submitted by `reader` and upvoted four times; PAPERBOY_MEMBER_TOKEN
and PAPERBOY_SPARE_TOKEN are two of `reader`'s tokens, the second for revoking. Exits non-zero,
with the reason, when an answer differs.

    python mcp_client.py BASE_URL [PAPER_ID]

With PAPER_ID, a paper whose full text the server keeps (the recorded arXiv page), the agent
reads it too: its contents, then a section with its subsections.
"""

import asyncio
import http.client
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import httpx2
from huggingface_hub import HfApi
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError

base = sys.argv[1]
readable = sys.argv[2] if len(sys.argv) > 2 else None
TOOLS = {"search_papers", "get_paper", "list_papers", "similar_papers", "read_paper", "author_papers",
         "get_collection"}
MEMBER_TOOLS = {"reading_list", "save_paper", "for_you"}


def text(result):
    return "\n".join(block.text for block in result.content if block.type == "text")


async def call(session, name, arguments):
    result = await session.call_tool(name, arguments)
    assert not result.is_error, (name, arguments, text(result))
    return result


async def refused(session, name, arguments, words):
    result = await session.call_tool(name, arguments)
    assert result.is_error, (name, arguments, "was not refused")
    assert words in text(result), (name, text(result))


async def agent():
    async with streamable_http_client(f"{base}/mcp") as (read, write):
        async with ClientSession(read, write) as session:
            info = await session.initialize()
            assert info.server_info.name == "paperboy", info.server_info
            assert "read_paper" in (info.instructions or ""), info.instructions
            tools = {tool.name: tool for tool in (await session.list_tools()).tools}
            assert set(tools) == TOOLS, set(tools)
            for tool in tools.values():
                assert len(tool.description) > 60 and tool.input_schema["type"] == "object", tool
            assert tools["search_papers"].input_schema["required"] == ["query"], tools["search_papers"]
            schema = json.dumps(tools["search_papers"].input_schema)
            for word in ["fulltext", "hybrid", "cs.CL", "1 to 100"]:
                assert word in schema, (word, schema)

            found = await call(session, "search_papers", {"query": "diffusion", "mode": "keyword", "limit": 5})
            papers = found.structured_content["papers"]
            assert papers[0]["paper"]["id"] == "2605.00003" and papers[0]["upvotes"] == 4, papers[0]
            assert "Diffusion models (2605.00003), 4 upvotes" in text(found), text(found)
            robots = await call(session, "search_papers", {"query": "robots", "category": "cs.RO"})
            assert [p["paper"]["id"] for p in robots.structured_content["papers"]] == ["2605.00006"], robots
            await refused(session, "search_papers", {"query": "x", "category": "<b>"}, "not an arXiv category")
            await refused(session, "search_papers", {"query": "x", "limit": 1000}, "give 1 to 100")

            paper = await call(session, "get_paper", {"id": "2605.00006"})
            assert paper.structured_content["title"] == "Robots that grasp", paper.structured_content
            assert paper.structured_content["githubRepo"] == "https://github.com/example/grasp"
            assert "Robots that grasp (2605.00006)" in text(paper), text(paper)
            assert paper.structured_content["ai_keywords"], paper.structured_content
            assert "\nTL;DR (automatic): " in text(paper) and "\nKeywords (automatic): " in text(paper), text(paper)
            await refused(session, "get_paper", {"id": "2605.99999"}, "2605.99999")
            await refused(session, "get_paper", {"id": "not a paper"}, "is not an arXiv id")

            day = await call(session, "list_papers", {"date": "2026-05-11"})
            ids = [p["paper"]["id"] for p in day.structured_content["papers"]]
            assert ids[0] == "2605.00003" and sorted(ids) == ["2605.00001", "2605.00002", "2605.00003"], ids
            week = await call(session, "list_papers", {"week": "2026-W20", "sort": "newest"})
            assert len(week.structured_content["papers"]) == 5, week.structured_content
            trending = await call(session, "list_papers", {})
            assert [p["paper"]["id"] for p in trending.structured_content["papers"]] == ["2605.00003"], trending
            await refused(session, "list_papers", {"date": "2026-13-01"}, "2026-13-01")
            await refused(session, "list_papers", {"date": "2026-05-11", "month": "2026-05"}, "at most one")

            similar = await call(session, "similar_papers", {"id": "2605.00001", "limit": 3})
            assert "2605.00001" not in [p["paper"]["id"] for p in similar.structured_content["papers"]], similar

            contents = await call(session, "read_paper", {"id": "2605.00004"})
            assert contents.structured_content["fullText"] is False, contents.structured_content
            assert "Language agents (2605.00004) has no full text here" in text(contents), text(contents)

            ada = await call(session, "author_papers", {"name": "ada lovelace", "limit": 2})
            assert ada.structured_content["name"] == "Ada Lovelace", ada.structured_content
            assert ada.structured_content["papers"] == 5 and len(ada.structured_content["newest"]) == 2, ada
            await refused(session, "author_papers", {"name": "Nobody Atall"}, "No paper in the catalog")

            collection = HfApi(endpoint=base, token=os.environ["PAPERBOY_MEMBER_TOKEN"]).create_collection(
                title="Agents read these", description="For the MCP test", exists_ok=True)
            HfApi(endpoint=base, token=os.environ["PAPERBOY_MEMBER_TOKEN"]).add_collection_item(
                collection.slug, item_id="2605.00004", item_type="paper", note="Start here", exists_ok=True)
            owner, address = collection.slug.split("/", 1)
            kept = await call(session, "get_collection", {"owner": owner, "slug": address})
            assert kept.structured_content["title"] == "Agents read these", kept.structured_content
            assert "1. Language agents (2605.00004): Start here" in text(kept), text(kept)
            await refused(session, "get_collection", {"owner": owner, "slug": "nothing-here"}, "no collection")

            if readable:
                await read_full_text(session, readable)

            # An argument of the wrong type, and an unknown tool: MCP errors, and the session goes on.
            for name, arguments in [("search_papers", {"query": "x", "limit": "many"}), ("delete_everything", {})]:
                try:
                    result = await session.call_tool(name, arguments)
                except MCPError as error:
                    assert error.message, error
                else:
                    assert result.is_error, (name, text(result))
            await call(session, "get_paper", {"id": "2605.00001"})
            return len(tools)


async def member():
    """The member's agent, with a token: their tools, then the token revoked mid-session."""
    token = os.environ["PAPERBOY_SPARE_TOKEN"]
    async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        async with streamable_http_client(f"{base}/mcp", http_client=client) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {tool.name for tool in (await session.list_tools()).tools}
                assert tools == TOOLS | MEMBER_TOOLS, tools
                await call(session, "save_paper", {"id": "2605.00006"})
                await call(session, "save_paper", {"id": "2605.00006"})
                await call(session, "save_paper", {"id": "2605.00001"})
                saved = await call(session, "reading_list", {})
                ids = [item["id"] for item in saved.structured_content["items"]]
                assert ids == ["2605.00006", "2605.00001"], ids
                assert "2 papers on the reading list" in text(saved), text(saved)
                await call(session, "save_paper", {"id": "2605.00001", "saved": False})
                saved = await call(session, "reading_list", {"limit": 5})
                assert [item["id"] for item in saved.structured_content["items"]] == ["2605.00006"], saved
                await refused(session, "save_paper", {"id": "2605.99999"}, "2605.99999")
                picks = await call(session, "for_you", {"limit": 3})
                papers = picks.structured_content["papers"]
                assert papers and len(papers) <= 3, picks.structured_content
                assert all(p["reason"].startswith("Close to") for p in papers), papers
                liked = {"2605.00003", "2605.00006"}
                assert not liked & {p["paper"]["id"] for p in papers}, "liked papers are not suggested"

                mine = urllib.request.Request(f"{base}/api/tokens", headers={
                    "Authorization": f"Bearer {os.environ['PAPERBOY_MEMBER_TOKEN']}"})
                with urllib.request.urlopen(mine, timeout=30) as response:
                    spare = next(t for t in json.load(response) if t["name"] == "spare")
                revoke = urllib.request.Request(f"{base}/api/tokens/{spare['id']}", method="DELETE", headers={
                    "Authorization": f"Bearer {os.environ['PAPERBOY_MEMBER_TOKEN']}"})
                with urllib.request.urlopen(revoke, timeout=30) as response:
                    assert response.status < 300, response.status
                try:
                    await asyncio.wait_for(session.call_tool("reading_list", {}), 30)
                except asyncio.TimeoutError:
                    raise AssertionError("a call with a revoked token got no answer")
                except MCPError as error:
                    assert "revoked" in error.message, error.message
                else:
                    raise AssertionError("a call with a revoked token was answered")

    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "revoked", "version": "0"}}}
    status, body = post(json.dumps(hello).encode(), {"Authorization": f"Bearer {token}"})
    assert status == 401 and "revoked" in json.loads(body)["error"]["message"], (status, body)

    # Without a token, the member's tools are not listed, and calling one says how to get a token.
    async with streamable_http_client(f"{base}/mcp") as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            await refused(session, "reading_list", {}, "personal API token")


async def read_full_text(session, paper):
    contents = await call(session, "read_paper", {"id": paper})
    sections = contents.structured_content["sections"]
    anchors = [section["anchor"] for section in sections]
    assert "S3" in anchors and "S3.SS1" in anchors, anchors
    assert "[S3.SS1] 3.1 Finetuning on multiple-choice responses" in text(contents), text(contents)[:500]
    section = await call(session, "read_paper", {"id": paper, "section": "S3"})
    markdown = section.structured_content["markdown"]
    assert markdown.startswith("## 3 ") and "\n### 3.1 Finetuning" in markdown, markdown[:300]
    assert "## 4 " not in markdown, "the section ends where the next begins"
    await refused(session, "read_paper", {"id": paper, "section": "S99"}, "has no section")


async def searcher(query):
    async with streamable_http_client(f"{base}/mcp") as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            for _ in range(5):
                result = await call(session, "search_papers", {"query": query, "mode": "keyword"})
            return [p["paper"]["id"] for p in result.structured_content["papers"]]


def post(body, headers=None):
    """A raw POST to /mcp: the status and the body."""
    request = urllib.request.Request(f"{base}/mcp", data=body, method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def declared(length):
    """The status of a POST to /mcp that declares a body of `length` bytes and sends none: the
    server must answer from the headers alone."""
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    connection.putrequest("POST", "/mcp")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Accept", "application/json, text/event-stream")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    status = connection.getresponse().status
    connection.close()
    return status


def hostile_requests():
    """What is not MCP is refused with a 4xx, and the server goes on."""
    status, _ = post(b"this is not JSON-RPC")
    assert 400 <= status < 500, status
    batch = json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}] * 2).encode()
    status, _ = post(batch)
    assert 400 <= status < 500, status
    listing = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).encode()
    status, _ = post(listing, {"Mcp-Session-Id": "never-issued", "Mcp-Protocol-Version": "2025-06-18"})
    assert status in (400, 404), status
    assert declared(1 << 20) == 413, "a megabyte of arguments is refused before it is read"
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "1999-01-01", "capabilities": {}, "clientInfo": {"name": "old", "version": "0"}}}
    status, body = post(json.dumps(hello).encode())
    assert status == 200 and "1999-01-01" not in body and "protocolVersion" in body, (status, body)

    # A call after its session ended is refused, as one that was never issued.
    hello["params"]["protocolVersion"] = "2025-06-18"
    request = urllib.request.Request(f"{base}/mcp", data=json.dumps(hello).encode(), method="POST", headers={
        "Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
    with urllib.request.urlopen(request, timeout=30) as response:
        session = response.headers["Mcp-Session-Id"]
        response.read()
    assert session, "a session id"
    end = urllib.request.Request(f"{base}/mcp", method="DELETE", headers={
        "Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-06-18"})
    with urllib.request.urlopen(end, timeout=30) as response:
        assert response.status < 300, response.status
    status, _ = post(listing, {"Mcp-Session-Id": session, "Mcp-Protocol-Version": "2025-06-18"})
    assert status == 404, status


async def main():
    hostile_requests()
    tools = await agent()
    await member()
    both = await asyncio.gather(searcher("sparse attention"), searcher("graph networks"))
    assert both[0][0] == "2605.00001" and both[1][0] == "2605.00002", both
    print(f"mcp: {tools} tools and {len(MEMBER_TOOLS)} for members, refusals as tool errors, "
          "a revoked token refused, two sessions side by side")


asyncio.run(main())
