<?xml version="1.0" encoding="UTF-8"?>
<!-- Shows an RSS or Atom feed of syndicate's in a browser as a page that says how to subscribe. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"/>

  <xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
  <xsl:variable name="self" select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>

  <xsl:template match="/">
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>body{max-width:42em;margin:2em auto;padding:0 1em;font:1.05em/1.55 Georgia,serif;color:#222}.about{background:#fff8dc;border:1px solid #e6d690;padding:.8em 1em}code{background:#f4f4f4;padding:.1em .3em;word-break:break-all}.meta{color:#555;font-size:.9em}</style>
      </head>
      <body>
        <div class="about">
          <p><strong>This is a web feed</strong>, for feed readers rather than browsers.
          To follow <xsl:value-of select="$title"/>, copy this address into your feed reader:</p>
          <p><code><xsl:value-of select="$self"/></code></p>
        </div>
        <h1><xsl:value-of select="$title"/></h1>
        <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <h2><a href="{link}"><xsl:value-of select="title"/></a></h2>
    <p class="meta"><xsl:value-of select="pubDate"/></p>
  </xsl:template>

  <xsl:template match="atom:entry">
    <h2><a href="{atom:link[not(@rel) or @rel='alternate'][1]/@href}"><xsl:value-of select="atom:title"/></a></h2>
    <p class="meta"><xsl:value-of select="atom:published | atom:updated[not(../atom:published)]"/></p>
  </xsl:template>
</xsl:stylesheet>
